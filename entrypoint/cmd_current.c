/* cmd_current: placeholder until its issue lands. */
#include "cmd.h"
#include "log.h"
#include "util/exitcode.h"
#include "util/banned.h"

CMD(current)
{
	(void)cfg;
	(void)args;
	log_error("\"current\" is not built yet");
	return EXIT_INTERNAL;
}
