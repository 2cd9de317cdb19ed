/* cmd_down: placeholder until its issue lands. */
#include "cmd.h"
#include "log.h"
#include "util/exitcode.h"
#include "util/banned.h"
const struct cmd_opt opts_down[] = { { NULL, 0, NULL } };

CMD(down)
{
	(void)cfg;
	(void)args;
	log_error("\"down\" is not built yet");
	return EXIT_INTERNAL;
}
