/* Unit tests of common/yamltree: tree shape, positions, quoting and the
 * errors (syntax, duplicate keys, aliases, several documents). */
#include <config.h>

#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "common/err.h"
#include "common/yamltree.h"

static struct ytree *tree;
static struct gslb_err err;

static void setup(void)
{
	tree = NULL;
	memset(&err, 0, sizeof(err));
}

static void teardown(void)
{
	ytree_free(tree);
	tree = NULL;
}

static int load(const char *text)
{
	return ytree_load_string("t.yaml", text, strlen(text), &tree, &err);
}

/* Load text that must fail and check the whole message. */
static void load_fails(const char *text, const char *msg)
{
	ck_assert_int_eq(load(text), GSLB_EPARSE);
	ck_assert_ptr_null(tree);
	ck_assert_str_eq(err.msg, msg);
}

START_TEST(test_tree_shape_and_positions)
{
	const struct ytree_node *root, *server, *listen, *n;

	ck_assert_int_eq(load("# comment\n"
			      "server:\n"
			      "  listen:\n"
			      "    - 127.0.0.1:53\n"
			      "    - \"[::1]:53\"\n"
			      "  workers: 4\n"
			      "flow: {a: 1, b: [x, 'y']}\n"),
			 0);
	ck_assert_str_eq(ytree_name(tree), "t.yaml");
	root = ytree_root(tree);
	ck_assert_int_eq(root->kind, YTREE_MAP);
	ck_assert_uint_eq(root->count, 2);
	ck_assert_str_eq(root->keys[0]->scalar, "server");
	ck_assert_uint_eq(root->keys[0]->line, 2);
	ck_assert_uint_eq(root->keys[0]->col, 1);

	server = ytree_map_get(root, "server");
	ck_assert_ptr_nonnull(server);
	ck_assert_int_eq(server->kind, YTREE_MAP);
	ck_assert_uint_eq(server->line, 3);
	ck_assert_uint_eq(server->col, 3);

	listen = ytree_map_get(server, "listen");
	ck_assert_int_eq(listen->kind, YTREE_SEQ);
	ck_assert_uint_eq(listen->count, 2);
	ck_assert_ptr_null(listen->keys);
	n = listen->items[0];
	ck_assert_int_eq(n->kind, YTREE_SCALAR);
	ck_assert_str_eq(n->scalar, "127.0.0.1:53");
	ck_assert(!n->quoted);
	ck_assert_uint_eq(n->line, 4);
	ck_assert_uint_eq(n->col, 7);
	n = listen->items[1];
	ck_assert_str_eq(n->scalar, "[::1]:53");
	ck_assert(n->quoted);
	ck_assert_uint_eq(n->line, 5);
	ck_assert_uint_eq(n->col, 7);

	n = ytree_map_get(server, "workers");
	ck_assert_str_eq(n->scalar, "4");
	ck_assert_uint_eq(n->line, 6);
	ck_assert_uint_eq(n->col, 12);
	ck_assert_ptr_null(ytree_map_get(server, "user"));
	ck_assert_ptr_null(ytree_map_get(listen, "x")); /* not a map */

	n = ytree_map_get(root, "flow");
	ck_assert_int_eq(n->kind, YTREE_MAP);
	ck_assert_uint_eq(n->col, 7);
	ck_assert_str_eq(ytree_map_get(n, "a")->scalar, "1");
	n = ytree_map_get(n, "b");
	ck_assert_int_eq(n->kind, YTREE_SEQ);
	ck_assert_uint_eq(n->count, 2);
	ck_assert(!n->items[0]->quoted);
	ck_assert(n->items[1]->quoted);
	ck_assert_str_eq(n->items[1]->scalar, "y");
	ck_assert_uint_eq(n->items[1]->col, 21);
}
END_TEST

START_TEST(test_scalars)
{
	const struct ytree_node *root;

	ck_assert_int_eq(load("a: ''\nb:\nc: |\n  two\n  lines\nd: \"tab\\there\"\n"), 0);
	root = ytree_root(tree);
	ck_assert_str_eq(ytree_map_get(root, "a")->scalar, "");
	ck_assert(ytree_map_get(root, "a")->quoted);
	ck_assert_str_eq(ytree_map_get(root, "b")->scalar, "");
	ck_assert(!ytree_map_get(root, "b")->quoted);
	ck_assert_str_eq(ytree_map_get(root, "c")->scalar, "two\nlines\n");
	ck_assert(ytree_map_get(root, "c")->quoted);
	ck_assert_str_eq(ytree_map_get(root, "d")->scalar, "tab\there");
}
END_TEST

START_TEST(test_empty_documents)
{
	static const char *const texts[] = {"", "# only a comment\n", "---\n", "--- ~\n"};

	for (size_t i = 0; i < sizeof(texts) / sizeof(texts[0]); i++) {
		ck_assert_int_eq(load(texts[i]), 0);
		ck_assert_int_eq(ytree_root(tree)->kind, YTREE_MAP);
		ck_assert_uint_eq(ytree_root(tree)->count, 0);
		ck_assert_ptr_null(ytree_root(tree)->scalar);
		ytree_free(tree);
		tree = NULL;
	}
}
END_TEST

START_TEST(test_load_file)
{
	ck_assert_int_eq(ytree_load_file(TEST_DATA_DIR "/config/empty.conf", &tree, &err), 0);
	ck_assert_int_eq(ytree_root(tree)->kind, YTREE_MAP);
	ck_assert_uint_eq(ytree_root(tree)->count, 0);
	ytree_free(tree);
	tree = NULL;
	ck_assert_int_eq(ytree_load_file(TEST_DATA_DIR "/config/full.conf", &tree, &err), 0);
	ck_assert_str_eq(ytree_name(tree), TEST_DATA_DIR "/config/full.conf");
	ck_assert_uint_eq(ytree_map_get(ytree_root(tree), "zones")->count, 3);
}
END_TEST

START_TEST(test_error_helper)
{
	const struct ytree_node *n;

	ck_assert_int_eq(load("a:\n  b: 7\n"), 0);
	n = ytree_map_get(ytree_map_get(ytree_root(tree), "a"), "b");
	ck_assert_int_eq(ytree_error(tree, n, &err, "a.b: %d is odd", 7), GSLB_EPARSE);
	ck_assert_str_eq(err.msg, "t.yaml:2:6: a.b: 7 is odd");
	ck_assert_int_eq(ytree_error(tree, NULL, &err, "whole file"), GSLB_EPARSE);
	ck_assert_str_eq(err.msg, "t.yaml: whole file");
}
END_TEST

START_TEST(test_duplicate_key)
{
	load_fails("a: 1\nb:\n  c: 2\n  c: 3\n", "t.yaml:4:3: duplicate key 'c' (first at line 3)");
	load_fails("{x: 1, x: 2}", "t.yaml:1:8: duplicate key 'x' (first at line 1)");
}
END_TEST

START_TEST(test_alias_and_anchor)
{
	load_fails("a: &base 1\n", "t.yaml:1:4: anchors (&base) are not supported");
	load_fails("a: [1]\nb: *base\n", "t.yaml:2:4: aliases (*base) are not supported");
	load_fails("- &m {x: 1}\n", "t.yaml:1:3: anchors (&m) are not supported");
}
END_TEST

START_TEST(test_non_scalar_key)
{
	load_fails("? [a, b]\n: 1\n", "t.yaml:1:3: mapping keys must be scalars");
	load_fails("{{a: 1}: 2}", "t.yaml:1:2: mapping keys must be scalars");
}
END_TEST

START_TEST(test_several_documents)
{
	load_fails("a: 1\n---\nb: 2\n", "t.yaml:2:1: only one YAML document is allowed");
}
END_TEST

START_TEST(test_syntax_errors)
{
	load_fails("a: [1, 2\nb: 3\n", "t.yaml:2:2: did not find expected ',' or ']' "
				       "(while parsing a flow sequence at line 1 column 4)");
	load_fails("a: 1\n b: 2\n", "t.yaml:2:3: mapping values are not allowed in this context");
	load_fails("a: \"open\n", "t.yaml:2:1: found unexpected end of stream "
				  "(while scanning a quoted scalar at line 1 column 4)");
	load_fails("a: 1\n\tb: 2\n", "t.yaml:2:1: found a tab character that violates indentation "
				     "(while scanning a plain scalar at line 1 column 4)");
}
END_TEST

START_TEST(test_syntax_error_file)
{
	ck_assert_int_eq(ytree_load_file(TEST_DATA_DIR "/config/syntax-error.conf", &tree, &err),
			 GSLB_EPARSE);
	ck_assert_ptr_null(tree);
	ck_assert_str_eq(err.msg, TEST_DATA_DIR "/config/syntax-error.conf:4:4: did not find "
						"expected ',' or ']' (while parsing a flow "
						"sequence at line 3 column 11)");
}
END_TEST

START_TEST(test_bad_input)
{
	static const char bad_utf8[] = "a: 1\nb: \xff\xfe\n";
	static const char nul[] = "a: \"x\\0y\"\n";

	ck_assert_int_eq(ytree_load_string("t.yaml", bad_utf8, sizeof(bad_utf8) - 1, &tree, &err),
			 GSLB_EPARSE);
	ck_assert_str_eq(err.msg, "t.yaml:2:4: invalid leading UTF-8 octet");
	load_fails(nul, "t.yaml:1:4: NUL character in a scalar");
	ck_assert_int_eq(ytree_load_file(TEST_DATA_DIR "/config/no-such-file.conf", &tree, &err),
			 GSLB_ENOENT);
	ck_assert_str_eq(err.msg,
			 TEST_DATA_DIR "/config/no-such-file.conf: No such file or directory");
}
END_TEST

START_TEST(test_too_deep)
{
	char text[512];
	size_t n = 0;

	for (int i = 0; i < 100; i++)
		text[n++] = '[';
	text[n] = '\0';
	ck_assert_int_eq(load(text), GSLB_EPARSE);
	ck_assert_ptr_null(tree);
	ck_assert_str_eq(err.msg, "t.yaml:1:66: nesting deeper than 64 levels");
}
END_TEST

static Suite *yamltree_suite(void)
{
	Suite *s = suite_create("yamltree");
	TCase *valid = tcase_create("valid");
	TCase *invalid = tcase_create("invalid");

	tcase_add_checked_fixture(valid, setup, teardown);
	tcase_add_checked_fixture(invalid, setup, teardown);
	tcase_add_test(valid, test_tree_shape_and_positions);
	tcase_add_test(valid, test_scalars);
	tcase_add_test(valid, test_empty_documents);
	tcase_add_test(valid, test_load_file);
	tcase_add_test(valid, test_error_helper);
	tcase_add_test(invalid, test_duplicate_key);
	tcase_add_test(invalid, test_alias_and_anchor);
	tcase_add_test(invalid, test_non_scalar_key);
	tcase_add_test(invalid, test_several_documents);
	tcase_add_test(invalid, test_syntax_errors);
	tcase_add_test(invalid, test_syntax_error_file);
	tcase_add_test(invalid, test_bad_input);
	tcase_add_test(invalid, test_too_deep);
	suite_add_tcase(s, valid);
	suite_add_tcase(s, invalid);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(yamltree_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
