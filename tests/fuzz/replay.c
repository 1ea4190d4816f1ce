/*
 * replay.c: a main() for the fuzz targets, without libFuzzer.  Linked with
 * one target by the ordinary compiler, it runs LLVMFuzzerTestOneInput()
 * once on each file named, or on every file in each directory named, so
 * that make check replays the seed corpora and every crash ever found.
 */
#include "autoconfig.h"

#include <sys/types.h>
#include <sys/stat.h>

#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"

static int	replay_path(const char *, size_t *);
static int	replay_dir(const char *, size_t *);
static int	replay_file(const char *);
static int	replay_wanted(const struct dirent *);

/* Replay every input named on the command line, then say how many ran. */
int
main(int argc, char **argv)
{
	size_t	 n = 0;
	int	 i;

	if (argc < 2) {
		fprintf(stderr, "usage: %s file|directory ...\n", argv[0]);
		return (2);
	}
	for (i = 1; i < argc; i++) {
		if (replay_path(argv[i], &n) == -1)
			return (1);
	}
	printf("%s: %zu inputs replayed, all invariants held\n", argv[0], n);
	return (0);
}

/* A file is one input; a directory is every input in it, in name order. */
static int
replay_path(const char *path, size_t *n)
{
	struct stat	 st;

	if (stat(path, &st) == -1) {
		fprintf(stderr, "replay: cannot stat %s: %s\n", path,
		    strerror(errno));
		return (-1);
	}
	if (S_ISDIR(st.st_mode))
		return (replay_dir(path, n));
	if (replay_file(path) == -1)
		return (-1);
	(*n)++;
	return (0);
}

/* Replay each entry of a directory, sorted, so a failure is repeatable. */
static int
replay_dir(const char *dir, size_t *n)
{
	struct dirent	**names = NULL;
	char		  path[PATH_MAX];
	int		  count, i, rc = 0;

	if ((count = scandir(dir, &names, replay_wanted, alphasort)) == -1) {
		fprintf(stderr, "replay: cannot read directory %s: %s\n", dir,
		    strerror(errno));
		return (-1);
	}
	for (i = 0; i < count && rc == 0; i++) {
		if (snprintf(path, sizeof path, "%s/%s", dir,
		    names[i]->d_name) >= (int)sizeof path) {
			fprintf(stderr, "replay: path too long: %s/%s\n", dir,
			    names[i]->d_name);
			rc = -1;
		} else
			rc = replay_path(path, n);
	}
	for (i = 0; i < count; i++)
		free(names[i]);
	free(names);
	return (rc);
}

/* Every entry but dot files and the README that says what a folder holds. */
static int
replay_wanted(const struct dirent *d)
{
	return (d->d_name[0] != '.' && strcmp(d->d_name, "README") != 0);
}

/*
 * Read one input into a buffer of exactly its size, so that a sanitizer
 * build catches a read past its end, and hand it to the target.
 */
static int
replay_file(const char *path)
{
	FILE		*fp;
	struct stat	 st;
	uint8_t		*data = NULL;
	size_t		 size;
	int		 rc = -1;

	if ((fp = fopen(path, "rb")) == NULL) {
		fprintf(stderr, "replay: cannot open %s: %s\n", path,
		    strerror(errno));
		return (-1);
	}
	if (fstat(fileno(fp), &st) == -1) {
		fprintf(stderr, "replay: cannot stat %s: %s\n", path,
		    strerror(errno));
		goto done;
	}
	size = (size_t)st.st_size;
	if ((data = malloc(size > 0 ? size : 1)) == NULL) {
		fprintf(stderr, "replay: %s: out of memory\n", path);
		goto done;
	}
	if (fread(data, 1, size, fp) != size) {
		fprintf(stderr, "replay: cannot read %s: %s\n", path,
		    ferror(fp) ? strerror(errno) : "file shrank");
		goto done;
	}
	/* Named first, so the input that aborts is the last one logged. */
	printf("replay: %s\n", path);
	fflush(stdout);
	LLVMFuzzerTestOneInput(data, size);
	rc = 0;
done:
	free(data);
	fclose(fp);
	return (rc);
}
