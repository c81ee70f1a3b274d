// missing looks for things that are not there, once with each call the
// tracer reports as failed (trace.Options.Failures), then exits 0. Relative
// paths are relative to the working directory, in which "file" must be a
// regular file.
#include <dirent.h>
#include <fcntl.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

int main(void) {
	struct stat st;
	char buf[64];
	open("/nope/open", O_RDONLY);
	openat(AT_FDCWD, "rel-open", O_RDONLY);
	open("/nodir/created", O_WRONLY | O_CREAT, 0644);
	open("file/sub", O_RDONLY); // ENOTDIR
	stat("/nope/stat", &st);
	access("/nope/access", R_OK);
	readlink("/nope/link", buf, sizeof buf);
	mkdir("/nodir/sub", 0755);
	chdir("/nope/chdir");
	opendir("/nope/dir");
	char *argv[] = {"x", 0};
	execv("/nope/exec", argv);
	int s = socket(AF_UNIX, SOCK_STREAM, 0);
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	strcpy(sa.sun_path, "/nope/sock");
	connect(s, (struct sockaddr *)&sa, sizeof sa);
	return 0;
}
