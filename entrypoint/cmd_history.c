/* cmd_history: placeholder until its issue lands. */
#include "cmd.h"
#include "log.h"
#include "util/exitcode.h"
#include "util/banned.h"

CMD(history)
{
	(void)cfg;
	(void)args;
	log_error("\"history\" is not built yet");
	return EXIT_INTERNAL;
}
