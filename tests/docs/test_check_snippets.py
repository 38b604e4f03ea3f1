#!/usr/bin/env python3
"""check_snippets.py itself: it passes a block copied from its source and fails every kind of drift."""
import pathlib
import subprocess
import sys
import tempfile
import unittest

CHECK = pathlib.Path(__file__).with_name("check_snippets.py")

SOURCE = """int main() {
  wisp::App app;
  app.ws("/echo", {
      .message = [](wisp::WebSocket& ws, std::string_view m, wisp::OpCode op) { ws.send(m, op); },
  });
  app.listen(9001).run();
}
"""


def run(markdown, source=SOURCE):
    with tempfile.TemporaryDirectory() as tmp:
        root = pathlib.Path(tmp)
        (root / "examples").mkdir()
        (root / "examples" / "echo.cpp").write_text(source)
        (root / "README.md").write_text(markdown)
        done = subprocess.run([sys.executable, str(CHECK), str(root)], capture_output=True, text=True,
                              timeout=30)
        return done.returncode, done.stdout


def doc(*lines, marker="<!-- snippet: examples/echo.cpp -->", language="cpp"):
    return "\n".join(["# Title", "", marker, f"```{language}", *lines, "```", ""])


class CheckSnippets(unittest.TestCase):
    def test_a_whole_file_matches(self):
        self.assertEqual(run(doc(*SOURCE.splitlines()))[0], 0)

    def test_a_dedented_part_with_a_gap_matches(self):
        self.assertEqual(run(doc('app.ws("/echo", {', "// ...", "app.listen(9001).run();"))[0], 0)

    def test_a_changed_line_fails_and_is_shown(self):
        code, out = run(doc("wisp::App app;", "app.listen(9002).run();"))
        self.assertEqual(code, 1)
        self.assertIn("README.md:4: not in examples/echo.cpp", out)
        self.assertIn("app.listen(9002)", out)

    def test_lines_out_of_order_fail(self):
        self.assertEqual(run(doc("app.listen(9001).run();", "// ...", "wisp::App app;"))[0], 1)

    def test_a_gap_is_needed_to_skip_lines(self):
        self.assertEqual(run(doc("wisp::App app;", "app.listen(9001).run();"))[0], 1)

    def test_a_block_without_a_marker_fails(self):
        code, out = run(doc("wisp::App app;", marker=""))
        self.assertEqual(code, 1)
        self.assertIn("without <!-- snippet: FILE -->", out)

    def test_a_missing_source_fails(self):
        self.assertEqual(run(doc("wisp::App app;", marker="<!-- snippet: examples/gone.cpp -->"))[0], 1)

    def test_shell_blocks_are_not_checked(self):
        self.assertEqual(run(doc("make && ./run", marker="", language="sh"))[0], 0)

    def test_an_indentation_change_inside_the_block_fails(self):
        self.assertEqual(run(doc("app.ws(\"/echo\", {", "  .message = [](wisp::WebSocket& ws, "
                                 "std::string_view m, wisp::OpCode op) { ws.send(m, op); },"))[0], 1)


if __name__ == "__main__":
    unittest.main()
