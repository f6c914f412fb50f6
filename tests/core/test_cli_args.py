"""The command line's own parsing: what reaches the desktop app after `copilot app`."""

import pytest

from copilot.cli.main import _run_app, build_parser, parse_args


def test_options_after_app_go_to_the_app_untouched():
    args = parse_args(build_parser(), ["app", "--no-llm", "--replay", "question.wav"])
    assert args.func is _run_app
    assert args.app_args == ["--no-llm", "--replay", "question.wav"]


def test_global_options_before_app_are_still_read():
    args = parse_args(build_parser(), ["-v", "app", "--stories", "my stories"])
    assert args.verbose and args.app_args == ["--stories", "my stories"]


def test_the_word_app_as_a_value_is_not_the_app_command():
    args = parse_args(build_parser(), ["classify", "app"])
    assert args.func is not _run_app and "app" in args.text


def test_app_without_a_display_says_so_instead_of_a_qt_plugin_abort() -> None:
    import os
    import subprocess
    import sys

    env = {k: v for k, v in os.environ.items() if k not in ("DISPLAY", "WAYLAND_DISPLAY", "QT_QPA_PLATFORM")}
    run = subprocess.run([sys.executable, "-m", "copilot", "app"], env=env, capture_output=True, text=True, timeout=60)
    if sys.platform.startswith("linux"):
        assert run.returncode == 1
        assert "no display" in run.stderr and "xvfb-run" in run.stderr
        assert "Traceback" not in run.stderr


@pytest.mark.parametrize("argv", [["rehearse", "--text", ""], ["rehearse", "--text", "  "], ["classify", ""]])
def test_an_empty_question_is_bad_usage_and_reaches_no_history(argv, capsys) -> None:
    from copilot.cli.main import main
    from copilot.config import paths
    from copilot.history.store import default_path

    assert main(argv) == 2
    err = capsys.readouterr().err
    assert "empty" in err and err.count("\n") == 1
    assert not default_path().exists() and not paths.index_dir().exists()  # nothing loaded, nothing written


def test_an_error_before_a_command_guards_itself_still_reaches_a_json_reader(tmp_path, capsys) -> None:
    import json

    from copilot.cli.main import main

    missing = tmp_path / "no stories here"
    code = main(["rehearse", "--json", "--no-llm", "--stories", str(missing), "--text", "Tell me about yourself"])
    out, err = capsys.readouterr()
    assert code == 1
    assert str(missing) in json.loads(out)["error"]  # one object on stdout
    assert f"copilot: {missing}" in err  # and the usual line for a person
