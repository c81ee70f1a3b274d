/* Cancels a thread: glibc unwinds it with libgcc_s.so.1, which it loads
 * with dlopen at that moment, and aborts if it cannot. */
#include <pthread.h>
#include <stdio.h>
#include <unistd.h>

static void *sleeper(void *arg)
{
	(void)arg;
	for (;;)
		pause();
	return NULL;
}

int main(void)
{
	pthread_t t;
	void *result;

	if (pthread_create(&t, NULL, sleeper, NULL) != 0)
		return 1;
	pthread_cancel(t);
	pthread_join(t, &result);
	printf("cancelled: %s\n", result == PTHREAD_CANCELED ? "yes" : "no");
	return 0;
}
