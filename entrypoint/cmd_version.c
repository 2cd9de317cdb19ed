/* cmd_version: `predeploy version` / `--version`: versions of predeploy and
 * of the libraries it was built with (the static build links its own copies,
 * so this is what actually runs). */
#include <stdio.h>

#include <libpq-fe.h>
#include <zlib.h>
#include <libdeflate.h>
#include <curl/curl.h>
#include <pg_query.h>

#include "cmd.h"
#include "util/banned.h"

#ifndef PREDEPLOY_PG_QUERY_VERSION
#define PREDEPLOY_PG_QUERY_VERSION "unknown"
#endif

CMD(version)
{
	int pq = PQlibVersion();
	curl_version_info_data *cv = curl_version_info(CURLVERSION_NOW);

	(void)cfg;
	(void)args;
	printf("predeploy %s\n", PREDEPLOY_VERSION);
	printf("libpq %d.%d\n", pq / 10000, pq % 10000);
	printf("libpg_query %s (PostgreSQL %s parser)\n", PREDEPLOY_PG_QUERY_VERSION, PG_VERSION);
	printf("libcurl %s\n", cv->version);
	printf("tls %s\n", cv->ssl_version ? cv->ssl_version : "none");
	printf("zlib %s\n", zlibVersion());
	printf("libdeflate %s\n", LIBDEFLATE_VERSION_STRING);
	return 0;
}
