/* cmd_stamp: placeholder until its issue lands. */
#include "cmd.h"
#include "log.h"
#include "util/exitcode.h"
#include "util/banned.h"
const struct cmd_opt opts_stamp[] = { { NULL, 0, NULL } };

CMD(stamp)
{
	(void)cfg;
	(void)args;
	log_error("\"stamp\" is not built yet");
	return EXIT_INTERNAL;
}
