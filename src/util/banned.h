/*
 * banned: functions the house style forbids (STYLE.md).  Included by
 * util/common.h, so a use anywhere in src/ or entrypoint/ fails to compile.
 */
#ifndef PREDEPLOY_BANNED_H
#define PREDEPLOY_BANNED_H

#define BANNED(f) sorry_##f##_is_banned_see_STYLE_md

#undef strcpy
#define strcpy(a, b) BANNED(strcpy)
#undef strcat
#define strcat(a, b) BANNED(strcat)
#undef sprintf
#define sprintf(...) BANNED(sprintf)
#undef strtok
#define strtok(a, b) BANNED(strtok)
#undef localtime
#define localtime(t) BANNED(localtime)
#undef system
#define system(c) BANNED(system)
#undef popen
#define popen(c, m) BANNED(popen)
#undef gets
#define gets(s) BANNED(gets)

#endif
