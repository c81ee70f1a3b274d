/* Needs one library per hostile case of the tests (the libraries are
 * built from greet.c under each name). */
void greet(const char *who);

int main(void)
{
	greet("hostile");
	return 0;
}
