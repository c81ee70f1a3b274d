/* Prints the names of user 0 and group 0, and of the user and group
 * given as numbers: what ls -l and id do through NSS. */
#include <grp.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>

static void show(uid_t uid, gid_t gid)
{
	struct passwd *pw = getpwuid(uid);
	struct group *gr = getgrgid(gid);

	printf("%u=%s %u=%s\n", (unsigned)uid, pw ? pw->pw_name : "?",
	       (unsigned)gid, gr ? gr->gr_name : "?");
}

int main(int argc, char **argv)
{
	show(0, 0);
	if (argc > 2)
		show(atoi(argv[1]), atoi(argv[2]));
	return 0;
}
