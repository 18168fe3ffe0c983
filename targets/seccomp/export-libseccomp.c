/*
 * export-libseccomp: build a seccomp filter with libseccomp the way runc does
 * (libcontainer/seccomp/seccomp_linux.go InitSeccomp + matchCall), then write
 * its classic BPF with seccomp_export_bpf. husk's tests and benchmark compare
 * that program with the one husk compiles (tests/seccomp_libseccomp.rs,
 * examples/seccomp_bench.rs); nothing here is part of husk.
 *
 * Usage: export-libseccomp INPUT OUT.bpf [RUNS]
 *        export-libseccomp --table SCMP_ARCH_X
 *
 * --table prints libseccomp's syscall table of one arch, "NR NAME" per line (the
 * first name of each number below 4096 above the arch's base, and the ARM private
 * calls), for tests that check husk's tables against it.
 *
 * INPUT is line based (the Rust side writes it, so no JSON here). Tokens are
 * separated by spaces; ERRNO is a number or "-" (absent):
 *   native SCMP_ARCH_X           the kernel arch runc would run on
 *   default SCMP_ACT_X ERRNO     defaultAction, defaultErrnoRet
 *   arch SCMP_ARCH_X             one line per `architectures` entry, in order
 *   rule NAME SCMP_ACT_X ERRNO N [INDEX SCMP_CMP_X VALUE VALUETWO]*N
 *                                one line per syscall name (runc's specconv
 *                                makes one configs.Syscall per name)
 *
 * Stdout: "unknown NAME" per name libseccomp cannot resolve (runc skips it),
 * then "ok", or "refused NAME RC" when a libseccomp call fails where runc would
 * fail the container (exit 3, no program written). With RUNS, the whole build
 * from seccomp_init to seccomp_export_bpf (into /dev/null) is repeated RUNS
 * times and "median_ns N" and "min_ns N" are printed.
 *
 * A native arch other than the host's: the host arch is removed from the new
 * filter and the wanted one added first. libseccomp reads rule syscall numbers
 * as host numbers and translates them per filter arch by name, so resolving
 * names on the host gives the same rules as runc on that arch would add.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <seccomp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define MAX_RULES 4096
#define MAX_ARGS 16
#define MAX_ARCHES 16

struct rule {
	char name[64];
	uint32_t action;
	unsigned int n;
	struct scmp_arg_cmp args[MAX_ARGS];
};

struct input {
	uint32_t native;
	uint32_t def;
	unsigned int n_arches;
	uint32_t arches[MAX_ARCHES];
	unsigned int n_rules;
	struct rule *rules;
};

static void die(const char *what, const char *detail)
{
	fprintf(stderr, "export-libseccomp: %s: %s\n", what, detail);
	exit(2);
}

static uint32_t arch_token(const char *name)
{
	static const struct {
		const char *name;
		uint32_t token;
	} arches[] = {
		{"SCMP_ARCH_X86", SCMP_ARCH_X86},
		{"SCMP_ARCH_X86_64", SCMP_ARCH_X86_64},
		{"SCMP_ARCH_X32", SCMP_ARCH_X32},
		{"SCMP_ARCH_ARM", SCMP_ARCH_ARM},
		{"SCMP_ARCH_AARCH64", SCMP_ARCH_AARCH64},
		{"SCMP_ARCH_MIPS", SCMP_ARCH_MIPS},
		{"SCMP_ARCH_MIPS64", SCMP_ARCH_MIPS64},
		{"SCMP_ARCH_MIPS64N32", SCMP_ARCH_MIPS64N32},
		{"SCMP_ARCH_MIPSEL", SCMP_ARCH_MIPSEL},
		{"SCMP_ARCH_MIPSEL64", SCMP_ARCH_MIPSEL64},
		{"SCMP_ARCH_MIPSEL64N32", SCMP_ARCH_MIPSEL64N32},
		{"SCMP_ARCH_PPC", SCMP_ARCH_PPC},
		{"SCMP_ARCH_PPC64", SCMP_ARCH_PPC64},
		{"SCMP_ARCH_PPC64LE", SCMP_ARCH_PPC64LE},
		{"SCMP_ARCH_S390", SCMP_ARCH_S390},
		{"SCMP_ARCH_S390X", SCMP_ARCH_S390X},
		{"SCMP_ARCH_RISCV64", SCMP_ARCH_RISCV64},
	};
	for (size_t i = 0; i < sizeof(arches) / sizeof(arches[0]); i++)
		if (strcmp(arches[i].name, name) == 0)
			return arches[i].token;
	die("unknown architecture", name);
	return 0;
}

/* runc getAction: errnoRet defaults to EPERM for ERRNO and TRACE. */
static uint32_t action(const char *name, const char *errno_s)
{
	int has = strcmp(errno_s, "-") != 0;
	uint32_t e = has ? (uint32_t)strtoul(errno_s, NULL, 10) : EPERM;
	if (!strcmp(name, "SCMP_ACT_KILL") || !strcmp(name, "SCMP_ACT_KILL_THREAD"))
		return SCMP_ACT_KILL_THREAD;
	if (!strcmp(name, "SCMP_ACT_KILL_PROCESS"))
		return SCMP_ACT_KILL_PROCESS;
	if (!strcmp(name, "SCMP_ACT_TRAP"))
		return SCMP_ACT_TRAP;
	if (!strcmp(name, "SCMP_ACT_ERRNO"))
		return SCMP_ACT_ERRNO(e);
	if (!strcmp(name, "SCMP_ACT_TRACE"))
		return SCMP_ACT_TRACE(e);
	if (!strcmp(name, "SCMP_ACT_ALLOW"))
		return SCMP_ACT_ALLOW;
	if (!strcmp(name, "SCMP_ACT_LOG"))
		return SCMP_ACT_LOG;
	if (!strcmp(name, "SCMP_ACT_NOTIFY"))
		return SCMP_ACT_NOTIFY;
	die("unknown action", name);
	return 0;
}

static enum scmp_compare op(const char *name)
{
	if (!strcmp(name, "SCMP_CMP_NE"))
		return SCMP_CMP_NE;
	if (!strcmp(name, "SCMP_CMP_LT"))
		return SCMP_CMP_LT;
	if (!strcmp(name, "SCMP_CMP_LE"))
		return SCMP_CMP_LE;
	if (!strcmp(name, "SCMP_CMP_EQ"))
		return SCMP_CMP_EQ;
	if (!strcmp(name, "SCMP_CMP_GE"))
		return SCMP_CMP_GE;
	if (!strcmp(name, "SCMP_CMP_GT"))
		return SCMP_CMP_GT;
	if (!strcmp(name, "SCMP_CMP_MASKED_EQ"))
		return SCMP_CMP_MASKED_EQ;
	die("unknown operator", name);
	return 0;
}

static char *tok(char **save)
{
	char *t = strtok_r(NULL, " \t\n", save);
	if (t == NULL)
		die("input", "line ends early");
	return t;
}

static void read_input(const char *path, struct input *in)
{
	FILE *f = fopen(path, "r");
	char line[4096];
	if (f == NULL)
		die("open", path);
	memset(in, 0, sizeof(*in));
	in->native = seccomp_arch_native();
	in->rules = calloc(MAX_RULES, sizeof(struct rule));
	if (in->rules == NULL)
		die("calloc", "rules");
	while (fgets(line, sizeof(line), f) != NULL) {
		char *save = NULL;
		char *kw = strtok_r(line, " \t\n", &save);
		if (kw == NULL)
			continue;
		if (!strcmp(kw, "native")) {
			in->native = arch_token(tok(&save));
		} else if (!strcmp(kw, "default")) {
			char *a = tok(&save);
			in->def = action(a, tok(&save));
		} else if (!strcmp(kw, "arch")) {
			if (in->n_arches == MAX_ARCHES)
				die("input", "too many arches");
			in->arches[in->n_arches++] = arch_token(tok(&save));
		} else if (!strcmp(kw, "rule")) {
			struct rule *r;
			char *a;
			if (in->n_rules == MAX_RULES)
				die("input", "too many rules");
			r = &in->rules[in->n_rules++];
			snprintf(r->name, sizeof(r->name), "%s", tok(&save));
			a = tok(&save);
			r->action = action(a, tok(&save));
			r->n = (unsigned int)strtoul(tok(&save), NULL, 10);
			if (r->n > MAX_ARGS)
				die("input", "too many args in a rule");
			for (unsigned int i = 0; i < r->n; i++) {
				r->args[i].arg = (unsigned int)strtoul(tok(&save), NULL, 10);
				r->args[i].op = op(tok(&save));
				r->args[i].datum_a = strtoull(tok(&save), NULL, 10);
				r->args[i].datum_b = strtoull(tok(&save), NULL, 10);
			}
		} else {
			die("unknown input keyword", kw);
		}
	}
	fclose(f);
}

/* Two comparisons of one argument: runc adds each as its own rule. */
static int repeated_index(const struct rule *r)
{
	for (unsigned int i = 0; i < r->n; i++)
		for (unsigned int j = 0; j < i; j++)
			if (r->args[i].arg == r->args[j].arg)
				return 1;
	return 0;
}

/*
 * Build the filter as runc's InitSeccomp does. Returns NULL where runc would
 * fail; `report` (may be NULL) hears skipped names and the failing call.
 */
static scmp_filter_ctx build(const struct input *in, FILE *report)
{
	scmp_filter_ctx ctx = seccomp_init(in->def);
	int rc;
	if (ctx == NULL) {
		if (report)
			fprintf(report, "refused seccomp_init %d\n", -EINVAL);
		return NULL;
	}
	if (in->native != seccomp_arch_native()) {
		/* Pretend to run on `native`: it is the filter's first arch. */
		if ((rc = seccomp_arch_remove(ctx, SCMP_ARCH_NATIVE)) != 0 ||
		    (rc = seccomp_arch_add(ctx, in->native)) != 0) {
			if (report)
				fprintf(report, "refused native-arch %d\n", rc);
			seccomp_release(ctx);
			return NULL;
		}
	}
	for (unsigned int i = 0; i < in->n_arches; i++) {
		rc = seccomp_arch_add(ctx, in->arches[i]);
		/* libseccomp-golang AddArch ignores an arch already present. */
		if (rc != 0 && rc != -EEXIST) {
			if (report)
				fprintf(report, "refused arch %d\n", rc);
			seccomp_release(ctx);
			return NULL;
		}
	}
	/* runc: binary tree optimisation above 32 syscalls (failure not fatal). */
	if (in->n_rules > 32)
		(void)seccomp_attr_set(ctx, SCMP_FLTATR_CTL_OPTIMIZE, 2);
	if ((rc = seccomp_attr_set(ctx, SCMP_FLTATR_CTL_NNP, 0)) != 0) {
		if (report)
			fprintf(report, "refused nnp %d\n", rc);
		seccomp_release(ctx);
		return NULL;
	}
	for (unsigned int i = 0; i < in->n_rules; i++) {
		const struct rule *r = &in->rules[i];
		int nr;
		if (r->action == in->def)
			continue; /* runc: redundant, skipped to avoid an error */
		nr = seccomp_syscall_resolve_name(r->name);
		if (nr == __NR_SCMP_ERROR) {
			if (report)
				fprintf(report, "unknown %s\n", r->name);
			continue;
		}
		if (r->n == 0) {
			rc = seccomp_rule_add_array(ctx, r->action, nr, 0, NULL);
		} else if (repeated_index(r)) {
			rc = 0;
			for (unsigned int j = 0; j < r->n && rc == 0; j++)
				rc = seccomp_rule_add_array(ctx, r->action, nr, 1,
							    &r->args[j]);
		} else {
			rc = seccomp_rule_add_array(ctx, r->action, nr, r->n, r->args);
		}
		if (rc != 0) {
			if (report)
				fprintf(report, "refused %s %d\n", r->name, rc);
			seccomp_release(ctx);
			return NULL;
		}
	}
	return ctx;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
	return x < y ? -1 : x > y;
}

static uint64_t now_ns(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (uint64_t)t.tv_sec * 1000000000u + (uint64_t)t.tv_nsec;
}

static int print_table(const char *arch_name)
{
	uint32_t arch = arch_token(arch_name);
	uint32_t base = arch == SCMP_ARCH_X32 ? 0x40000000u : 0;
	for (uint32_t n = 0; n < 4096 + 16; n++) {
		/* Past 4096: the ARM private calls (__ARM_NR_BASE 0x0f0000). */
		uint32_t nr = n < 4096 ? base + n : 0x0f0000u + (n - 4096);
		char *name = seccomp_syscall_resolve_num_arch(arch, (int)nr);
		if (name != NULL) {
			printf("%" PRIu32 " %s\n", nr, name);
			free(name);
		}
	}
	return 0;
}

int main(int argc, char **argv)
{
	struct input in;
	scmp_filter_ctx ctx;
	int fd, rc;
	if (argc == 3 && strcmp(argv[1], "--table") == 0)
		return print_table(argv[2]);
	if (argc < 3 || argc > 4) {
		fprintf(stderr, "usage: export-libseccomp INPUT OUT.bpf [RUNS]\n");
		return 2;
	}
	read_input(argv[1], &in);
	ctx = build(&in, stdout);
	if (ctx == NULL)
		return 3;
	fd = open(argv[2], O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0)
		die("open", argv[2]);
	rc = seccomp_export_bpf(ctx, fd);
	close(fd);
	seccomp_release(ctx);
	if (rc != 0) {
		printf("refused export %d\n", rc);
		return 3;
	}
	printf("ok\n");
	if (argc == 4) {
		long runs = strtol(argv[3], NULL, 10);
		uint64_t *ns = calloc(runs > 0 ? (size_t)runs : 1, sizeof(uint64_t));
		int null = open("/dev/null", O_WRONLY | O_CLOEXEC);
		if (ns == NULL || null < 0)
			die("timing", "setup");
		for (long i = 0; i < runs; i++) {
			uint64_t t0 = now_ns();
			ctx = build(&in, NULL);
			if (ctx == NULL || seccomp_export_bpf(ctx, null) != 0)
				die("timing", "build failed");
			ns[i] = now_ns() - t0;
			seccomp_release(ctx);
		}
		qsort(ns, (size_t)runs, sizeof(uint64_t), cmp_u64);
		printf("median_ns %" PRIu64 "\n", runs > 0 ? ns[runs / 2] : 0);
		printf("min_ns %" PRIu64 "\n", runs > 0 ? ns[0] : 0);
		free(ns);
		close(null);
	}
	free(in.rules);
	return 0;
}
