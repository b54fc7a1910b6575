import re
import sys
import tomllib
from dataclasses import fields
from pathlib import Path

import platformdirs
import pytest

from app.config import (
    DEFAULT_CONFIG_TOML,
    Config,
    ConfigError,
    _toml_reason,
    load_config,
    parse_window_size,
    write_default_config,
)
from app.errors import AppError

SETTINGS = (
    "language",
    "mode",
    "window_size",
    "ipd_mm",
    "eye_fov_deg",
    "log_level",
    "start_scene",
    "telemetry_consent",
    "lrs_endpoint",
    "user_id",
    "platform_home_page",
    "activity_base",
)
DEFAULTS = {
    "language": "zh-CN",
    "mode": "auto",
    "window_size": (1280, 720),
    "ipd_mm": 63.0,
    "eye_fov_deg": 100.0,
    "log_level": "INFO",
    "start_scene": "lobby",
    "telemetry_consent": "ask",
    "lrs_endpoint": "",
    "user_id": "",
    "platform_home_page": "https://medvr.app",
    "activity_base": "https://medvr.app/xapi",
}


def settings_of(config: Config) -> dict[str, object]:
    return {name: getattr(config, name) for name in SETTINGS}


def write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


@pytest.fixture
def config_file(tmp_path: Path) -> Path:
    return tmp_path / "config.toml"


def env_for(config_file: Path, **variables: str) -> dict[str, str]:
    return {"MEDVR_CONFIG": str(config_file), **variables}


CHINESE = re.compile(r"[\u4e00-\u9fff]")


def chinese_line(error: ConfigError) -> str:
    """The error's zh: one line, with Chinese in it; every ConfigError must have one."""
    assert isinstance(error.zh, str)
    assert "\n" not in error.zh
    assert CHINESE.search(error.zh), error.zh
    return error.zh


def config_error_of(config_file: Path, toml_text: str, **variables: str) -> ConfigError:
    write(config_file, toml_text)
    with pytest.raises(ConfigError) as caught:
        load_config(env=env_for(config_file, **variables))
    assert "\n" not in str(caught.value)
    chinese_line(caught.value)
    return caught.value


def error_of(config_file: Path, toml_text: str, **variables: str) -> str:
    return str(config_error_of(config_file, toml_text, **variables))


def test_missing_file_gives_the_defaults(config_file: Path) -> None:
    config = load_config(env=env_for(config_file))
    assert settings_of(config) == DEFAULTS
    assert config.config_file == config_file


def test_config_error_is_an_app_error() -> None:
    assert issubclass(ConfigError, AppError)


def test_paths_default_to_platformdirs(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    # On Linux platformdirs follows XDG, which keeps the user's real files out of the test.
    for variable in ("XDG_CONFIG_HOME", "XDG_DATA_HOME", "XDG_CACHE_HOME", "XDG_STATE_HOME"):
        monkeypatch.setenv(variable, str(tmp_path / variable.lower()))
    config = load_config(env={})
    assert config.config_file == Path(platformdirs.user_config_dir("medvr", appauthor=False)) / (
        "config.toml"
    )
    assert config.data_dir == Path(platformdirs.user_data_dir("medvr", appauthor=False))
    assert config.cache_dir == Path(platformdirs.user_cache_dir("medvr", appauthor=False))
    assert config.log_dir == Path(platformdirs.user_log_dir("medvr", appauthor=False))
    if sys.platform.startswith("linux"):
        assert config.config_file == tmp_path / "xdg_config_home" / "medvr" / "config.toml"
    assert Config().log_dir == config.log_dir


def test_environment_moves_every_path(tmp_path: Path) -> None:
    env = {
        "MEDVR_CONFIG": str(tmp_path / "etc" / "medvr.toml"),
        "MEDVR_DATA_DIR": str(tmp_path / "data"),
        "MEDVR_CACHE_DIR": str(tmp_path / "cache"),
        "MEDVR_LOG_DIR": str(tmp_path / "logs"),
    }
    config = load_config(env=env)
    assert config.config_file == tmp_path / "etc" / "medvr.toml"
    assert config.data_dir == tmp_path / "data"
    assert config.cache_dir == tmp_path / "cache"
    assert config.log_dir == tmp_path / "logs"


def test_reads_os_environ_when_no_env_is_given(
    monkeypatch: pytest.MonkeyPatch, config_file: Path
) -> None:
    monkeypatch.setenv("MEDVR_CONFIG", str(config_file))
    monkeypatch.setenv("MEDVR_LANG", "en")
    config = load_config()
    assert config.language == "en"
    assert config.config_file == config_file


def test_file_sets_every_key(config_file: Path) -> None:
    write(
        config_file,
        """
        [display]
        language = "en"
        mode = "sim-vr"
        window_size = [800, 600]
        [vr]
        ipd_mm = 58
        eye_fov_deg = 110.5
        [app]
        start_scene = "anatomy.skeleton"
        log_level = "WARNING"
        [sync]
        telemetry_consent = "yes"
        lrs_endpoint = "https://lrs.example.org/xAPI/"
        user_id = "u-4711"
        platform_home_page = "https://learn.example.org"
        activity_base = "https://learn.example.org/medvr"
        """,
    )
    config = load_config(env=env_for(config_file))
    assert settings_of(config) == {
        "telemetry_consent": "yes",
        "lrs_endpoint": "https://lrs.example.org/xAPI",
        "user_id": "u-4711",
        "platform_home_page": "https://learn.example.org",
        "activity_base": "https://learn.example.org/medvr",
        "language": "en",
        "mode": "sim-vr",
        "window_size": (800, 600),
        "ipd_mm": 58.0,
        "eye_fov_deg": 110.5,
        "log_level": "WARNING",
        "start_scene": "anatomy.skeleton",
    }
    assert isinstance(config.ipd_mm, float)


@pytest.mark.parametrize(
    ("variable", "text", "name", "value"),
    [
        ("MEDVR_LANG", "en", "language", "en"),
        ("MEDVR_LANG", "zh-cn", "language", "zh-CN"),
        ("MEDVR_MODE", "headless", "mode", "headless"),
        ("MEDVR_WINDOW_SIZE", "1920x1080", "window_size", (1920, 1080)),
        ("MEDVR_WINDOW_SIZE", " 640 X 480 ", "window_size", (640, 480)),
        ("MEDVR_IPD_MM", "61.5", "ipd_mm", 61.5),
        ("MEDVR_EYE_FOV_DEG", "90", "eye_fov_deg", 90.0),
        ("MEDVR_LOG_LEVEL", "debug", "log_level", "DEBUG"),
        ("MEDVR_START_SCENE", "hall.oab", "start_scene", "hall.oab"),
        ("MEDVR_TELEMETRY_CONSENT", "yes", "telemetry_consent", "yes"),
        ("MEDVR_TELEMETRY_CONSENT", "TRUE", "telemetry_consent", "yes"),
        ("MEDVR_TELEMETRY_CONSENT", "0", "telemetry_consent", "no"),
        ("MEDVR_TELEMETRY_CONSENT", "off", "telemetry_consent", "no"),
        (
            "MEDVR_LRS_ENDPOINT",
            "http://127.0.0.1:8100/xAPI/",
            "lrs_endpoint",
            "http://127.0.0.1:8100/xAPI",
        ),
        ("MEDVR_USER_ID", "doc-0042", "user_id", "doc-0042"),
        (
            "MEDVR_PLATFORM_HOME_PAGE",
            "https://cme.example.cn",
            "platform_home_page",
            "https://cme.example.cn",
        ),
        (
            "MEDVR_ACTIVITY_BASE",
            "https://cme.example.cn/xapi",
            "activity_base",
            "https://cme.example.cn/xapi",
        ),
    ],
)
def test_environment_sets_each_setting(
    config_file: Path, variable: str, text: str, name: str, value: object
) -> None:
    config = load_config(env=env_for(config_file, **{variable: text}))
    assert getattr(config, name) == value


def test_empty_environment_variable_counts_as_unset(config_file: Path) -> None:
    write(config_file, '[display]\nmode = "desktop"\n')
    config = load_config(env=env_for(config_file, MEDVR_MODE="", MEDVR_IPD_MM="  "))
    assert config.mode == "desktop"
    assert config.ipd_mm == 63.0


def test_file_then_environment_then_overrides(config_file: Path) -> None:
    write(
        config_file,
        """
        [display]
        language = "en"
        mode = "desktop"
        window_size = [800, 600]
        [vr]
        ipd_mm = 60
        eye_fov_deg = 90
        """,
    )
    env = env_for(config_file, MEDVR_MODE="headless", MEDVR_IPD_MM="65", MEDVR_EYE_FOV_DEG="95")
    config = load_config(env=env, overrides={"ipd_mm": 70.0, "start_scene": "hall.oab"})
    assert config.language == "en"  # file only
    assert config.window_size == (800, 600)  # file only
    assert config.mode == "headless"  # env beats file
    assert config.eye_fov_deg == 95.0  # env beats file
    assert config.ipd_mm == 70.0  # override beats env and file
    assert config.start_scene == "hall.oab"  # override beats the default
    assert config.log_level == "INFO"  # nobody set it


def test_overrides_skip_none_and_read_text(config_file: Path) -> None:
    config = load_config(
        env=env_for(config_file, MEDVR_MODE="desktop"),
        overrides={"mode": None, "window_size": "1024x768", "eye_fov_deg": "120"},
    )
    assert config.mode == "desktop"
    assert config.window_size == (1024, 768)
    assert config.eye_fov_deg == 120.0


def test_override_chooses_the_config_file(tmp_path: Path, config_file: Path) -> None:
    other = write(tmp_path / "other.toml", '[display]\nlanguage = "en"\n')
    config = load_config(env=env_for(config_file), overrides={"config_file": other})
    assert config.language == "en"
    assert config.config_file == other


def test_bad_override_names_the_flag(config_file: Path) -> None:
    with pytest.raises(ConfigError) as caught:
        load_config(env=env_for(config_file), overrides={"ipd_mm": 120})
    assert str(caught.value) == "command line --ipd-mm 120: expected a number from 50 to 80"
    assert chinese_line(caught.value) == "命令行 --ipd-mm 120：应为 50 到 80 之间的数字"


def test_bad_text_override_names_the_flag_in_both_languages(config_file: Path) -> None:
    with pytest.raises(ConfigError) as caught:
        load_config(env=env_for(config_file), overrides={"window_size": "1280"})
    assert str(caught.value) == (
        'command line --window-size "1280": expected WIDTHxHEIGHT such as 1280x720,'
        " each a whole number from 64 to 16384"
    )
    assert chinese_line(caught.value) == (
        '命令行 --window-size "1280"：应为 宽x高 的形式（如 1280x720），'
        "宽和高均为 64 到 16384 之间的整数"
    )


def test_unknown_override_is_a_programming_error(config_file: Path) -> None:
    with pytest.raises(TypeError, match="ipd"):
        load_config(env=env_for(config_file), overrides={"ipd": 60})


def test_bad_file_value_message_matches_the_documented_form(config_file: Path) -> None:
    error = config_error_of(config_file, "[vr]\nipd_mm = 120\n")
    assert str(error) == f"{config_file}: [vr] ipd_mm = 120: expected a number from 50 to 80"
    assert error.zh == f"{config_file}：[vr] ipd_mm = 120：应为 50 到 80 之间的数字"


@pytest.mark.parametrize(
    ("toml_text", "where", "expected", "expected_zh"),
    [
        (
            "[vr]\nipd_mm = 49.5",
            "[vr] ipd_mm = 49.5",
            "expected a number from 50 to 80",
            "应为 50 到 80 之间的数字",
        ),
        (
            '[vr]\nipd_mm = "63"',
            '[vr] ipd_mm = "63"',
            "expected a number from 50 to 80",
            "应为 50 到 80 之间的数字",
        ),
        (
            "[vr]\nipd_mm = true",
            "[vr] ipd_mm = true",
            "expected a number from 50 to 80",
            "应为 50 到 80 之间的数字",
        ),
        (
            "[vr]\neye_fov_deg = 20",
            "[vr] eye_fov_deg = 20",
            "expected a number from 60 to 140",
            "应为 60 到 140 之间的数字",
        ),
        (
            '[display]\nlanguage = "fr"',
            '[display] language = "fr"',
            '"zh-CN", "en"',
            '应为以下之一："zh-CN"、"en"',
        ),
        ('[display]\nmode = "vrr"', '[display] mode = "vrr"', '"sim-vr", "headless"', '"sim-vr"、'),
        (
            "[display]\nwindow_size = [1280]",
            "[display] window_size = [1280]",
            "[width, height]",
            "[宽, 高]",
        ),
        (
            "[display]\nwindow_size = [1280.0, 720]",
            "[display] window_size = [1280.0, 720]",
            "whole number",
            "整数",
        ),
        (
            '[display]\nwindow_size = "1280x720"',
            '[display] window_size = "1280x720"',
            "[width, height]",
            "[宽, 高]",
        ),
        (
            "[display]\nwindow_size = [10, 10]",
            "[display] window_size = [10, 10]",
            "64 to 16384",
            "64 到 16384",
        ),
        ('[app]\nlog_level = "LOUD"', '[app] log_level = "LOUD"', '"WARNING"', '"WARNING"'),
        (
            '[app]\nstart_scene = "Lobby Hall"',
            '[app] start_scene = "Lobby Hall"',
            "scene id",
            '场景 ID，如 "lobby"',
        ),
        (
            "[vr]\nipd = 63",
            "[vr] ipd = 63",
            "unknown key (did you mean ipd_mm?)",
            "未知的键（是不是想写 ipd_mm？）；应为以下之一：ipd_mm、eye_fov_deg",
        ),
        (
            '[displya]\nmode = "vr"',
            "[displya]",
            "unknown section (did you mean display?)",
            "未知的配置节（是不是想写 display？）；应为以下之一：[display]、[vr]、[app]、[sync]",
        ),
        ('language = "en"', 'language = "en"', "it belongs under [display]", "[display] 之下"),
        ("display = 3", "display = 3", "unknown top-level key", "未知的顶层键"),
        (
            "[sync]\ntelemetry_consent = true",
            "[sync] telemetry_consent = true",
            'expected one of "ask", "yes", "no"',
            '"ask"、"yes"、"no"',
        ),
        (
            '[sync]\nlrs_endpoint = "lrs.example.org"',
            '[sync] lrs_endpoint = "lrs.example.org"',
            'http(s) address such as "https://lrs.example.org/xAPI", or "" for none',
            "应为 http(s) 网址",
        ),
        (
            '[sync]\nuser_id = "wang.li@example.org"',
            '[sync] user_id = "wang.li@example.org"',
            "never an email",
            "不能是电子邮箱",
        ),
        (
            '[sync]\nactivity_base = ""',
            '[sync] activity_base = ""',
            "expected an http(s) address",
            "应为 http(s) 网址",
        ),
        (
            '[sync]\nlrs_password = "secret"',
            '[sync] lrs_password = "secret"',
            "unknown key",
            "未知的键",
        ),
    ],
)
def test_bad_file_values_name_file_and_key(
    config_file: Path, toml_text: str, where: str, expected: str, expected_zh: str
) -> None:
    error = config_error_of(config_file, toml_text + "\n")
    assert str(error).startswith(f"{config_file}: {where}: ")
    assert expected in str(error)
    assert chinese_line(error).startswith(f"{config_file}：{where}：")
    assert expected_zh in error.zh


@pytest.mark.parametrize(
    ("variable", "text", "expected", "expected_zh"),
    [
        ("MEDVR_IPD_MM", "abc", "expected a number from 50 to 80", "应为 50 到 80 之间的数字"),
        ("MEDVR_IPD_MM", "120", "expected a number from 50 to 80", "应为 50 到 80 之间的数字"),
        ("MEDVR_IPD_MM", "nan", "expected a number from 50 to 80", "应为 50 到 80 之间的数字"),
        ("MEDVR_EYE_FOV_DEG", "200", "expected a number from 60 to 140", "60 到 140 之间的数字"),
        (
            "MEDVR_WINDOW_SIZE",
            "1280,720",
            "expected WIDTHxHEIGHT such as 1280x720",
            "应为 宽x高 的形式（如 1280x720）",
        ),
        ("MEDVR_WINDOW_SIZE", "1x1", "from 64 to 16384", "64 到 16384 之间的整数"),
        ("MEDVR_LANG", "de", '"zh-CN", "en"', '"zh-CN"、"en"'),
        ("MEDVR_MODE", "steamvr", '"auto", "desktop"', '"auto"、"desktop"'),
        ("MEDVR_TELEMETRY_CONSENT", "maybe", '"yes", "no" or "ask"', '"yes"、"no" 或 "ask"'),
        ("MEDVR_LRS_ENDPOINT", "ftp://lrs", "http(s) address", "http(s) 网址"),
        ("MEDVR_LOG_LEVEL", "verbose", '"DEBUG"', '"DEBUG"'),
        ("MEDVR_START_SCENE", "Lobby", "scene id", "场景 ID"),
    ],
)
def test_bad_environment_values_name_the_variable(
    config_file: Path, variable: str, text: str, expected: str, expected_zh: str
) -> None:
    error = config_error_of(config_file, "", **{variable: text})
    assert str(error).startswith(f'environment variable {variable}="{text}": ')
    assert expected in str(error)
    assert chinese_line(error).startswith(f'环境变量 {variable}="{text}"：')
    assert expected_zh in error.zh


def test_bad_file_value_is_reported_even_when_env_sets_the_key(config_file: Path) -> None:
    message = error_of(config_file, "[vr]\nipd_mm = 20\n", MEDVR_IPD_MM="63")
    assert message.startswith(f"{config_file}: [vr] ipd_mm = 20: ")


def test_toml_syntax_error_names_file_and_line(config_file: Path) -> None:
    error = config_error_of(config_file, '[display]\nlanguage = "en"\nmode = \n')
    assert str(error).startswith(f"{config_file}: ")
    assert "line 3" in str(error)
    assert error.zh == f"{config_file}：不是有效的 TOML：值无效（第 3 行第 8 列）"


@pytest.mark.parametrize(
    "toml_text",
    [
        "mode = ",
        "[display\n",
        "[[display\n",
        "mode = 1 2",
        "mode auto",
        'mode = "auto',
        "mode = '''auto",
        "size = [1 2]",
        "size = {w = 1 h = 2}",
        "size = {w = 1, w = 2}",
        "[vr]\n[vr]\n",
        'mode = "\\q"',
        'mode = "\\uZZZZ"',
        'mode = "\\uD800"',
        "day = 1979-13-01",
        "= 1",
        'mode = "\x01"',
        "# \x01",
        "vr.a = 1\n[vr]\na = 2\n",
    ],
)
def test_toml_syntax_errors_are_put_into_chinese(config_file: Path, toml_text: str) -> None:
    error = config_error_of(config_file, toml_text)
    prefix = f"{config_file}：不是有效的 TOML："
    assert chinese_line(error).startswith(prefix)
    reason = error.zh.removeprefix(prefix)
    # Only what the parser quotes and the name Unicode stay: no English words are left.
    unquoted = re.sub(r"'[^']*'|\"[^\"]*\"|\([^)]*\)|Unicode", "", reason)
    assert not re.search(r"[A-Za-z]{3,}", unquoted), reason
    assert re.search(r"（(第 \d+ 行第 \d+ 列|在文件末尾)）$", reason), reason


def test_toml_message_unknown_to_the_table_keeps_its_words() -> None:
    reason = _toml_reason(tomllib.TOMLDecodeError("Something new (at line 2, column 5)"))
    assert reason.en == "Something new (at line 2, column 5)"
    assert reason.zh == "Something new（第 2 行第 5 列）"


def test_non_utf8_file_names_file_and_line(config_file: Path) -> None:
    config_file.write_bytes(b'[display]\nlanguage = "\xff"\n')
    with pytest.raises(ConfigError) as caught:
        load_config(env=env_for(config_file))
    assert str(caught.value) == f"{config_file}: line 2: not UTF-8 text"
    assert chinese_line(caught.value) == f"{config_file}：第 2 行：不是 UTF-8 文本"


def test_byte_order_mark_is_accepted(config_file: Path) -> None:
    config_file.write_bytes(b'\xef\xbb\xbf[display]\nlanguage = "en"\n')
    assert load_config(env=env_for(config_file)).language == "en"


def test_unreadable_config_path_names_the_file(tmp_path: Path) -> None:
    folder = tmp_path / "config.toml"
    folder.mkdir()
    with pytest.raises(ConfigError, match=re.escape(str(folder))) as caught:
        load_config(env=env_for(folder))
    assert chinese_line(caught.value).startswith(f"{folder}：无法读取配置文件：")


def test_unwritable_config_path_names_the_file_in_both_languages(tmp_path: Path) -> None:
    blocker = write(tmp_path / "not-a-folder", "")
    path = blocker / "medvr" / "config.toml"
    with pytest.raises(ConfigError) as caught:
        write_default_config(path)
    assert str(caught.value).startswith(f"{path}: cannot write the config file: ")
    assert chinese_line(caught.value).startswith(f"{path}：无法写入配置文件：")


def test_default_toml_loads_as_the_defaults(config_file: Path) -> None:
    write(config_file, DEFAULT_CONFIG_TOML)
    assert settings_of(load_config(env=env_for(config_file))) == DEFAULTS


def test_default_toml_documents_every_key_with_its_default(config_file: Path) -> None:
    uncommented, count = re.subn(r"(?m)^# (\w+ = .*)$", r"\1", DEFAULT_CONFIG_TOML)
    assert count == len(SETTINGS)
    write(config_file, uncommented)
    assert settings_of(load_config(env=env_for(config_file))) == DEFAULTS
    for name in SETTINGS:
        assert len(re.findall(rf"(?m)^{name} = ", uncommented)) == 1
    for variable in ("MEDVR_LANG", "MEDVR_MODE", "MEDVR_WINDOW_SIZE", "MEDVR_IPD_MM"):
        assert variable in DEFAULT_CONFIG_TOML
    for variable in ("MEDVR_EYE_FOV_DEG", "MEDVR_LOG_LEVEL", "MEDVR_START_SCENE"):
        assert variable in DEFAULT_CONFIG_TOML


def test_default_toml_matches_the_dataclass_defaults() -> None:
    defaults = Config()
    assert {name: getattr(defaults, name) for name in SETTINGS} == DEFAULTS
    assert {item.name for item in fields(Config)} >= set(SETTINGS)


def test_write_default_config_only_when_absent(tmp_path: Path) -> None:
    path = tmp_path / "new" / "folder" / "config.toml"
    assert write_default_config(path) is True
    assert path.read_text(encoding="utf-8") == DEFAULT_CONFIG_TOML
    assert settings_of(load_config(env=env_for(path))) == DEFAULTS

    write(path, '[display]\nlanguage = "en"\n')
    assert write_default_config(path) is False
    assert path.read_text(encoding="utf-8") == '[display]\nlanguage = "en"\n'


def test_parse_window_size() -> None:
    assert parse_window_size("1280x720") == (1280, 720)
    with pytest.raises(ValueError, match="WIDTHxHEIGHT"):
        parse_window_size("1280")
    with pytest.raises(ValueError, match="64 to 16384"):
        parse_window_size("20000x720")
