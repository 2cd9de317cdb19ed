/* cmd_lint: placeholder until its issue lands. */
#include "cmd.h"
#include "log.h"
#include "util/exitcode.h"
#include "util/banned.h"
const struct cmd_opt opts_lint[] = { { NULL, 0, NULL } };

CMD(lint)
{
	(void)cfg;
	(void)args;
	log_error("\"lint\" is not built yet");
	return EXIT_INTERNAL;
}
