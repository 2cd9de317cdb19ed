/* cmd_new: placeholder until its issue lands. */
#include "cmd.h"
#include "log.h"
#include "util/exitcode.h"
#include "util/banned.h"

CMD(new)
{
	(void)cfg;
	(void)args;
	log_error("\"new\" is not built yet");
	return EXIT_INTERNAL;
}
