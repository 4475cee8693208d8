"""Every setting can be overridden from the environment (containers have no config files to edit)."""

from settings.env import env_overrides


def test_prefixed_values_are_parsed_as_json_and_plain_names_kept() -> None:
    environ = {"NEWSARCHIVE_DEPTH_LIMIT": "3", "NEWSARCHIVE_ROBOTSTXT_OBEY": "false",
               "NEWSARCHIVE_USER_AGENT": "bot (+https://x.example)", "ARCHIVE_URI": "s3://b/p", "UNRELATED": "1"}
    found = env_overrides(["DEPTH_LIMIT", "ROBOTSTXT_OBEY", "USER_AGENT", "ARCHIVE_URI", "LOG_LEVEL"], environ)
    assert found == {"DEPTH_LIMIT": 3, "ROBOTSTXT_OBEY": False, "USER_AGENT": "bot (+https://x.example)",
                     "ARCHIVE_URI": "s3://b/p"}


def test_settings_module_applies_overrides_in_a_fresh_interpreter() -> None:
    import os
    import subprocess
    import sys

    code = "import settings; print(settings.DEPTH_LIMIT, settings.ARCHIVE_URI)"
    env = {**os.environ, "NEWSARCHIVE_DEPTH_LIMIT": "5", "ARCHIVE_URI": "/tmp/x"}
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True).stdout
    assert out.split() == ["5", "/tmp/x"]
