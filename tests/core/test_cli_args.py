"""The command line's own parsing: what reaches the desktop app after `copilot app`."""

from copilot.cli import _run_app, build_parser, parse_args


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
