/* Stands in for the libc.so.6 of a glibc older than 2.34, whose NSS
 * services "files" and "dns" were modules (libnss_files.so.2…), not part
 * of libc: it exports no _nss_files_* function. Never run, only read. */
int old_glibc_marker;
