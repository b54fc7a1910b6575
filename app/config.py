"""MedVR settings: defaults, then the TOML file, then MEDVR_* variables, then CLI flags."""

from __future__ import annotations

import difflib
import errno
import json
import math
import os
import re
import tomllib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import NamedTuple
from urllib.parse import urlsplit

import platformdirs

from app.errors import AppError

APP_NAME = "medvr"
CONFIG_FILE_NAME = "config.toml"

LANGUAGES = ("zh-CN", "en")
MODES = ("auto", "desktop", "vr", "sim-vr", "headless")
LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")
CONSENT_CHOICES = ("ask", "yes", "no")
DEFAULT_PLATFORM_HOME_PAGE = "https://medvr.app"
DEFAULT_ACTIVITY_BASE = "https://medvr.app/xapi"
IPD_RANGE_MM = (50.0, 80.0)
EYE_FOV_RANGE_DEG = (60.0, 140.0)
WINDOW_SIDE_RANGE_PX = (64, 16384)

# Environment variables that move the files; tests and managed installs use them.
ENV_CONFIG_FILE = "MEDVR_CONFIG"
ENV_DATA_DIR = "MEDVR_DATA_DIR"
ENV_CACHE_DIR = "MEDVR_CACHE_DIR"
ENV_LOG_DIR = "MEDVR_LOG_DIR"


class ConfigError(AppError):
    """A setting that cannot be used; the message names where it came from.

    ``zh`` always holds the same line in Simplified Chinese.
    """


class _Text(NamedTuple):
    """One line for the user, in English and in Simplified Chinese, with the same facts."""

    en: str
    zh: str


def _default_config_file() -> Path:
    return Path(platformdirs.user_config_dir(APP_NAME, appauthor=False)) / CONFIG_FILE_NAME


def _default_data_dir() -> Path:
    return Path(platformdirs.user_data_dir(APP_NAME, appauthor=False))


def _default_cache_dir() -> Path:
    return Path(platformdirs.user_cache_dir(APP_NAME, appauthor=False))


def _default_log_dir() -> Path:
    return Path(platformdirs.user_log_dir(APP_NAME, appauthor=False))


@dataclass(frozen=True)
class Config:
    """Every setting the app starts with, already checked."""

    language: str = "zh-CN"
    mode: str = "auto"
    window_size: tuple[int, int] = (1280, 720)
    ipd_mm: float = 63.0
    # Horizontal field of view of each eye of the simulated headset.
    eye_fov_deg: float = 100.0
    log_level: str = "INFO"
    start_scene: str = "lobby"
    # Behaviour sync. Credentials are never settings: they come from the OS keyring or
    # from MEDVR_LRS_USERNAME / MEDVR_LRS_PASSWORD (sync is wired in app/sync.py).
    lrs_endpoint: str = ""
    telemetry_consent: str = "ask"
    user_id: str = ""
    platform_home_page: str = DEFAULT_PLATFORM_HOME_PAGE
    activity_base: str = DEFAULT_ACTIVITY_BASE
    config_file: Path = field(default_factory=_default_config_file)
    data_dir: Path = field(default_factory=_default_data_dir)
    cache_dir: Path = field(default_factory=_default_cache_dir)
    log_dir: Path = field(default_factory=_default_log_dir)


DEFAULT_CONFIG_TOML = """\
# MedVR configuration file.
#
# Every setting is commented out and shows its default: remove the leading "# " of a
# line to change it. Environment variables (named on each setting) override this file,
# and command-line flags override both.
#
# Files live where the operating system expects them; these variables move them:
#   MEDVR_CONFIG     this file
#   MEDVR_DATA_DIR   downloaded content and the upload queue
#   MEDVR_CACHE_DIR  files that can be rebuilt
#   MEDVR_LOG_DIR    medvr.log and its rotated copies

[display]
# Language of labels and menus: "zh-CN" (Simplified Chinese) or "en" (English).
# Environment: MEDVR_LANG
# language = "zh-CN"

# How the app is shown:
#   "auto"      a SteamVR headset if one is found, otherwise a desktop window
#   "desktop"   a 3D window driven by mouse and keyboard
#   "vr"        a SteamVR headset
#   "sim-vr"    the headset's stereo view, simulated in a window
#   "headless"  no window; frames are rendered offscreen
# Environment: MEDVR_MODE
# mode = "auto"

# Window size in pixels, [width, height], each a whole number from 64 to 16384.
# Environment: MEDVR_WINDOW_SIZE, written as 1280x720
# window_size = [1280, 720]

[vr]
# Distance between the pupils in millimetres, from 50 to 80: the stereo separation.
# Environment: MEDVR_IPD_MM
# ipd_mm = 63.0

# Horizontal field of view of each eye of the simulated headset, in degrees, 60 to 140.
# Environment: MEDVR_EYE_FOV_DEG
# eye_fov_deg = 100.0

[app]
# Scene opened at start, by id.
# Environment: MEDVR_START_SCENE
# start_scene = "lobby"

# Least important message written to the log:
# "DEBUG", "INFO", "WARNING", "ERROR" or "CRITICAL".
# Environment: MEDVR_LOG_LEVEL
# log_level = "INFO"

[sync]
# What you do in MedVR (what you looked at and for how long, quiz and needling results,
# course progress) is kept on this computer and, once you agree, sent to your learning
# platform. Nothing is sent before you agree: "ask" asks once at the next start, "yes"
# sends, "no" keeps everything on this computer. `medvr sync consent yes|no` sets it too.
# Environment: MEDVR_TELEMETRY_CONSENT (yes/no, true/false or 1/0)
# telemetry_consent = "ask"

# The learning record store (xAPI) of your platform, e.g. "https://lrs.example.org/xAPI";
# "" sends nothing. The user name and password are never written here: `medvr sync login`
# keeps them in the system keyring, or set MEDVR_LRS_USERNAME and MEDVR_LRS_PASSWORD.
# Environment: MEDVR_LRS_ENDPOINT
# lrs_endpoint = ""

# Your account id on the platform (never a name or an email address); "" uses a random
# id made once for this computer.
# Environment: MEDVR_USER_ID
# user_id = ""

# The platform's web address, the home page of your account id.
# Environment: MEDVR_PLATFORM_HOME_PAGE
# platform_home_page = "https://medvr.app"

# Where the ids (IRIs) of structures, acupoints, quizzes and courses begin.
# Environment: MEDVR_ACTIVITY_BASE
# activity_base = "https://medvr.app/xapi"
"""


class _Rejected(Exception):
    """Raised by a check when a value does not fit the setting.

    The reason shown is the setting's `expected` or `expected_text`: which one depends on
    whether the value came from TOML or from text (environment variable, command line).
    """


@dataclass(frozen=True)
class _Setting:
    name: str
    section: str
    env_var: str
    # What a TOML value should be, in both languages.
    expected: _Text
    check: Callable[[object], object]
    # Turns the text of an environment variable into a value for `check`.
    from_text: Callable[[str], object]
    # What the text of a variable or flag should be, in both languages.
    expected_text: _Text


def _fmt_number(value: float) -> str:
    return f"{value:g}"


def _choice(options: tuple[str, ...]) -> Callable[[object], object]:
    by_folded = {option.casefold(): option for option in options}

    def check(value: object) -> object:
        if not isinstance(value, str) or value.casefold() not in by_folded:
            raise _Rejected
        return by_folded[value.casefold()]

    return check


def _number_in(low: float, high: float) -> Callable[[object], object]:
    def check(value: object) -> object:
        # bool is an int in Python but never a number in a config file.
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise _Rejected
        if not math.isfinite(value) or not low <= value <= high:
            raise _Rejected
        return float(value)

    return check


def _check_window_size(value: object) -> object:
    low, high = WINDOW_SIDE_RANGE_PX
    if not isinstance(value, list | tuple) or len(value) != 2:
        raise _Rejected
    for side in value:
        if isinstance(side, bool) or not isinstance(side, int) or not low <= side <= high:
            raise _Rejected
    return (value[0], value[1])


_SCENE_ID = re.compile(r"[a-z][a-z0-9_.-]*")


def _check_scene_id(value: object) -> object:
    if not isinstance(value, str) or not _SCENE_ID.fullmatch(value):
        raise _Rejected
    return value


def _check_web_address(optional: bool) -> Callable[[object], object]:
    def check(value: object) -> object:
        if not isinstance(value, str):
            raise _Rejected
        value = value.strip()
        if optional and not value:
            return ""
        parts = urlsplit(value)
        if parts.scheme.lower() not in ("http", "https") or not parts.netloc or " " in value:
            raise _Rejected
        return value.rstrip("/")

    return check


_ACCOUNT_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:+-]{0,127}")


def _check_account_id(value: object) -> object:
    if not isinstance(value, str) or not (value == "" or _ACCOUNT_ID.fullmatch(value)):
        raise _Rejected
    return value


_CONSENT_WORDS = {
    **{word: "yes" for word in ("yes", "y", "true", "1", "on")},
    **{word: "no" for word in ("no", "n", "false", "0", "off")},
    "ask": "ask",
}


def _text_as_consent(text: str) -> object:
    return _CONSENT_WORDS.get(text.strip().casefold(), text)


def _text_as_is(text: str) -> object:
    return text


def _text_as_number(text: str) -> object:
    try:
        return float(text)
    except ValueError:
        raise _Rejected from None


_WINDOW_SIZE_TEXT = re.compile(r"(\d+)\s*[xX×]\s*(\d+)")


def _text_as_window_size(text: str) -> object:
    match = _WINDOW_SIZE_TEXT.fullmatch(text)
    if match is None:
        raise _Rejected
    return (int(match[1]), int(match[2]))


def parse_window_size(text: str) -> tuple[int, int]:
    """Read "1280x720" as (1280, 720); ValueError unless WIDTHxHEIGHT with sides in range."""
    try:
        return _check_window_size(_text_as_window_size(text.strip()))  # type: ignore[return-value]
    except _Rejected:
        low, high = WINDOW_SIDE_RANGE_PX
        raise ValueError(
            f"expected WIDTHxHEIGHT such as 1280x720, each from {low} to {high}, got {text!r}"
        ) from None


def _one_of(options: tuple[str, ...]) -> _Text:
    quoted = [json.dumps(option) for option in options]
    return _Text("expected one of " + ", ".join(quoted), "应为以下之一：" + "、".join(quoted))


def _number_from(low: float, high: float) -> _Text:
    low_text, high_text = _fmt_number(low), _fmt_number(high)
    return _Text(
        f"expected a number from {low_text} to {high_text}",
        f"应为 {low_text} 到 {high_text} 之间的数字",
    )


_IPD_EXPECTED = _number_from(*IPD_RANGE_MM)
_FOV_EXPECTED = _number_from(*EYE_FOV_RANGE_DEG)
_SIDES = _Text(
    "each a whole number from {} to {}".format(*WINDOW_SIDE_RANGE_PX),
    "宽和高均为 {} 到 {} 之间的整数".format(*WINDOW_SIDE_RANGE_PX),
)
_WINDOW_EXPECTED = _Text(
    f"expected [width, height] in pixels, {_SIDES.en}",
    f"应为以像素计的 [宽, 高]，{_SIDES.zh}",
)
_WINDOW_TEXT_EXPECTED = _Text(
    f"expected WIDTHxHEIGHT such as 1280x720, {_SIDES.en}",
    f"应为 宽x高 的形式（如 1280x720），{_SIDES.zh}",
)
_SCENE_EXPECTED = _Text(
    'expected a scene id such as "lobby" (lowercase letters, digits, "_", "-", ".")',
    '应为场景 ID，如 "lobby"（由小写字母、数字、"_"、"-"、"." 组成）',
)

_WEB_ADDRESS = _Text(
    'expected an http(s) address such as "https://lrs.example.org/xAPI"',
    '应为 http(s) 网址，如 "https://lrs.example.org/xAPI"',
)
_OPTIONAL_WEB_ADDRESS = _Text(
    f'{_WEB_ADDRESS.en}, or "" for none', f'{_WEB_ADDRESS.zh}，或 "" 表示不设置'
)
_ACCOUNT_EXPECTED = _Text(
    'expected an account id of letters, digits and "._:+-" (up to 128; never an email), '
    'or "" for a random id',
    '应为由字母、数字和 "._:+-" 组成的账号 ID（最多 128 个字符，不能是电子邮箱），'
    '或 "" 表示使用随机 ID',
)
_CONSENT_TEXT_EXPECTED = _Text(
    'expected "yes", "no" or "ask" (also true/false, 1/0)',
    '应为 "yes"、"no" 或 "ask"（也可写 true/false、1/0）',
)

_SETTINGS: dict[str, _Setting] = {
    setting.name: setting
    for setting in (
        _Setting(
            "language", "display", "MEDVR_LANG",
            _one_of(LANGUAGES), _choice(LANGUAGES), _text_as_is, _one_of(LANGUAGES),
        ),
        _Setting(
            "mode", "display", "MEDVR_MODE",
            _one_of(MODES), _choice(MODES), _text_as_is, _one_of(MODES),
        ),
        _Setting(
            "window_size", "display", "MEDVR_WINDOW_SIZE",
            _WINDOW_EXPECTED, _check_window_size, _text_as_window_size, _WINDOW_TEXT_EXPECTED,
        ),
        _Setting(
            "ipd_mm", "vr", "MEDVR_IPD_MM",
            _IPD_EXPECTED, _number_in(*IPD_RANGE_MM), _text_as_number, _IPD_EXPECTED,
        ),
        _Setting(
            "eye_fov_deg", "vr", "MEDVR_EYE_FOV_DEG",
            _FOV_EXPECTED, _number_in(*EYE_FOV_RANGE_DEG), _text_as_number, _FOV_EXPECTED,
        ),
        _Setting(
            "start_scene", "app", "MEDVR_START_SCENE",
            _SCENE_EXPECTED, _check_scene_id, _text_as_is, _SCENE_EXPECTED,
        ),
        _Setting(
            "log_level", "app", "MEDVR_LOG_LEVEL",
            _one_of(LOG_LEVELS), _choice(LOG_LEVELS), _text_as_is, _one_of(LOG_LEVELS),
        ),
        _Setting(
            "telemetry_consent", "sync", "MEDVR_TELEMETRY_CONSENT",
            _one_of(CONSENT_CHOICES), _choice(CONSENT_CHOICES), _text_as_consent,
            _CONSENT_TEXT_EXPECTED,
        ),
        _Setting(
            "lrs_endpoint", "sync", "MEDVR_LRS_ENDPOINT",
            _OPTIONAL_WEB_ADDRESS, _check_web_address(True), _text_as_is, _OPTIONAL_WEB_ADDRESS,
        ),
        _Setting(
            "user_id", "sync", "MEDVR_USER_ID",
            _ACCOUNT_EXPECTED, _check_account_id, _text_as_is, _ACCOUNT_EXPECTED,
        ),
        _Setting(
            "platform_home_page", "sync", "MEDVR_PLATFORM_HOME_PAGE",
            _WEB_ADDRESS, _check_web_address(False), _text_as_is, _WEB_ADDRESS,
        ),
        _Setting(
            "activity_base", "sync", "MEDVR_ACTIVITY_BASE",
            _WEB_ADDRESS, _check_web_address(False), _text_as_is, _WEB_ADDRESS,
        ),
    )
}  # fmt: skip

_SECTIONS: dict[str, tuple[str, ...]] = {}
for _setting in _SETTINGS.values():
    _SECTIONS.setdefault(_setting.section, ())
    _SECTIONS[_setting.section] += (_setting.name,)
del _setting

_PATH_FIELDS = ("config_file", "data_dir", "cache_dir", "log_dir")
_PATH_ENV = {
    "config_file": ENV_CONFIG_FILE,
    "data_dir": ENV_DATA_DIR,
    "cache_dir": ENV_CACHE_DIR,
    "log_dir": ENV_LOG_DIR,
}


def _show(value: object) -> str:
    """A value written the way it would look in the TOML file, kept to one short line."""
    if isinstance(value, bool):
        text = "true" if value else "false"
    elif isinstance(value, str):
        text = json.dumps(value, ensure_ascii=False)
    elif isinstance(value, int | float):
        text = repr(value)
    elif isinstance(value, list | tuple):
        text = "[" + ", ".join(_show(item) for item in value) + "]"
    elif isinstance(value, dict):
        text = "{" + ", ".join(f"{key} = {_show(item)}" for key, item in value.items()) + "}"
    else:
        text = str(value)
    text = " ".join(text.splitlines())
    return text if len(text) <= 80 else text[:77] + "..."


def _did_you_mean(name: str, options: tuple[str, ...]) -> _Text:
    close = difflib.get_close_matches(name, options, n=1)
    if not close:
        return _Text("", "")
    return _Text(f" (did you mean {close[0]}?)", f"（是不是想写 {close[0]}？）")


def _listed(names: tuple[str, ...]) -> _Text:
    return _Text(", ".join(names), "、".join(names))


# Chinese for the errno values a config file is likely to meet; others keep the OS text.
_OS_REASONS_ZH = {
    errno.EACCES: "没有访问权限",
    errno.EPERM: "操作不被允许",
    errno.EISDIR: "这是一个目录，不是文件",
    errno.ENOTDIR: "路径中有一级不是目录",
    errno.ENOENT: "文件或目录不存在",
    errno.ENOSPC: "磁盘空间不足",
    errno.EROFS: "文件系统是只读的",
    errno.ENAMETOOLONG: "文件名太长",
    errno.ELOOP: "符号链接层数过多",
}


def _os_reason(exc: OSError) -> _Text:
    en = str(exc.strerror or exc)
    return _Text(en, _OS_REASONS_ZH.get(exc.errno, en) if exc.errno is not None else en)


# tomllib ends every message with "(at line L, column C)" or "(at end of document)".
_TOML_WHERE = re.compile(r"(.+) \(at (?:line (\d+), column (\d+)|end of document)\)")
# The messages of tomllib (Python 3.11 to 3.14); "{}" stands for the captured part.
# Most specific first; a message not listed keeps its English words in the Chinese line.
_TOML_REASONS_ZH = tuple(
    (re.compile(pattern), zh)
    for pattern, zh in (
        (r"Invalid value", "值无效"),
        (r"Invalid statement", "无法识别的语句"),
        (r"Expected newline or end of document after a statement", "语句之后应换行或到达文件末尾"),
        (r"Expected '=' after a key in a key/value pair", "键值对中的键后面应为 '='"),
        (r"Expected '\]' at the end of a table declaration", "表头末尾应为 ']'"),
        (r"Expected '\]\]' at the end of an array declaration", "表数组的表头末尾应为 ']]'"),
        (r"Expected (.+)", "缺少 {}"),
        (r"Found invalid character (.+)", "有无效字符 {}"),
        (r"Illegal character (.+)", "有非法字符 {}"),
        (r"Cannot declare (.+) twice", "{} 被重复声明"),
        (r"Cannot overwrite a value", "不能覆盖已有的值"),
        (r"Cannot mutate immutable namespace (.+)", "不能修改不可变的命名空间 {}"),
        (r"Cannot redefine namespace (.+)", "不能重新定义命名空间 {}"),
        (r"Duplicate inline table key (.+)", "内联表中的键 {} 重复"),
        (r"Invalid initial character for a key part", "键名的首字符无效"),
        (r"Unclosed array", "数组没有闭合"),
        (r"Unclosed inline table", "内联表没有闭合"),
        (r"Unescaped '\\' in a string", "字符串中的 '\\' 转义无效"),
        (r"Invalid hex value", "十六进制值无效"),
        (r"Escaped character is not a Unicode scalar value", "转义的字符不是有效的 Unicode 标量值"),
        (r"Unterminated string", "字符串没有结束"),
        (r"Invalid date or datetime", "日期或时间无效"),
    )
)


def _toml_reason(exc: tomllib.TOMLDecodeError) -> _Text:
    en = " ".join(str(exc).splitlines())
    where = _TOML_WHERE.fullmatch(en)
    if where is None:
        return _Text(en, en)
    what, line, column = where.groups()
    what_zh = what
    for pattern, zh in _TOML_REASONS_ZH:
        found = pattern.fullmatch(what)
        if found is not None:
            what_zh = zh.format(*found.groups())
            break
    place = f"第 {line} 行第 {column} 列" if line is not None else "在文件末尾"
    return _Text(en, f"{what_zh}（{place}）")


def _read_toml(path: Path) -> dict[str, object] | None:
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        return None
    except OSError as exc:
        reason = _os_reason(exc)
        raise ConfigError(
            f"{path}: cannot read the config file: {reason.en}",
            f"{path}：无法读取配置文件：{reason.zh}",
        ) from None
    try:
        # utf-8-sig: Windows editors may start the file with a byte-order mark.
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise ConfigError(
            f"{path}: line {line}: not UTF-8 text",
            f"{path}：第 {line} 行：不是 UTF-8 文本",
        ) from None
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        reason = _toml_reason(exc)
        raise ConfigError(
            f"{path}: not valid TOML: {reason.en}",
            f"{path}：不是有效的 TOML：{reason.zh}",
        ) from None


def _settings_from_file(path: Path, document: Mapping[str, object]) -> dict[str, object]:
    sections = tuple(_SECTIONS)
    listed = _listed(tuple(f"[{name}]" for name in sections))
    found: dict[str, object] = {}
    for section, table in document.items():
        if not isinstance(table, dict):
            where = f"{section} = {_show(table)}"
            home = _SETTINGS.get(section)
            if home is not None:
                hint = _Text(
                    f"it belongs under [{home.section}]", f"它应放在 [{home.section}] 之下"
                )
            else:
                hint = _Text(f"settings belong in {listed.en}", f"设置项应放在 {listed.zh} 中")
            raise ConfigError(
                f"{path}: {where}: unknown top-level key; {hint.en}",
                f"{path}：{where}：未知的顶层键；{hint.zh}",
            )
        if section not in _SECTIONS:
            guess = _did_you_mean(section, sections)
            raise ConfigError(
                f"{path}: [{section}]: unknown section{guess.en}; expected one of {listed.en}",
                f"{path}：[{section}]：未知的配置节{guess.zh}；应为以下之一：{listed.zh}",
            )
        for key, value in table.items():
            names = _SECTIONS[section]
            where = f"[{section}] {key} = {_show(value)}"
            if key not in names:
                guess, known = _did_you_mean(key, names), _listed(names)
                raise ConfigError(
                    f"{path}: {where}: unknown key{guess.en}; expected one of {known.en}",
                    f"{path}：{where}：未知的键{guess.zh}；应为以下之一：{known.zh}",
                )
            setting = _SETTINGS[key]
            try:
                found[key] = setting.check(value)
            except _Rejected:
                raise ConfigError(
                    f"{path}: {where}: {setting.expected.en}",
                    f"{path}：{where}：{setting.expected.zh}",
                ) from None
    return found


def _env_text(env: Mapping[str, str], name: str) -> str | None:
    # An empty variable counts as unset, as `MEDVR_MODE= medvr` means in a shell.
    text = env.get(name, "").strip()
    return text or None


def _settings_from_env(env: Mapping[str, str]) -> dict[str, object]:
    found: dict[str, object] = {}
    for setting in _SETTINGS.values():
        text = _env_text(env, setting.env_var)
        if text is None:
            continue
        try:
            found[setting.name] = setting.check(setting.from_text(text))
        except _Rejected:
            where = f"{setting.env_var}={_show(text)}"
            raise ConfigError(
                f"environment variable {where}: {setting.expected_text.en}",
                f"环境变量 {where}：{setting.expected_text.zh}",
            ) from None
    return found


def _flag(name: str) -> str:
    return "--" + name.replace("_", "-")


def _split_overrides(
    overrides: Mapping[str, object],
) -> tuple[dict[str, object], dict[str, Path]]:
    settings: dict[str, object] = {}
    paths: dict[str, Path] = {}
    for name, value in overrides.items():
        # None is what argparse leaves for a flag that was not given.
        if value is None:
            continue
        if name in _PATH_FIELDS:
            if not isinstance(value, str | os.PathLike):
                raise TypeError(f"override {name} must be a path, not {type(value).__name__}")
            paths[name] = Path(value).expanduser()
            continue
        setting = _SETTINGS.get(name)
        if setting is None:
            known = ", ".join((*_SETTINGS, *_PATH_FIELDS))
            raise TypeError(f"unknown override {name!r}; expected one of {known}")
        as_text = isinstance(value, str)
        try:
            # A flag may arrive as the raw text the user typed.
            typed = setting.from_text(value.strip()) if as_text else value
            settings[name] = setting.check(typed)
        except _Rejected:
            expected = setting.expected_text if as_text else setting.expected
            where = f"{_flag(name)} {_show(value)}"
            raise ConfigError(
                f"command line {where}: {expected.en}",
                f"命令行 {where}：{expected.zh}",
            ) from None
    return settings, paths


def _paths(env: Mapping[str, str], chosen: Mapping[str, Path]) -> dict[str, Path]:
    defaults = {
        "config_file": _default_config_file,
        "data_dir": _default_data_dir,
        "cache_dir": _default_cache_dir,
        "log_dir": _default_log_dir,
    }
    paths: dict[str, Path] = {}
    for name in _PATH_FIELDS:
        text = _env_text(env, _PATH_ENV[name])
        if name in chosen:
            paths[name] = chosen[name]
        elif text is not None:
            paths[name] = Path(text).expanduser()
        else:
            paths[name] = defaults[name]()
    return paths


def load_config(
    env: Mapping[str, str] | None = None,
    overrides: Mapping[str, object] | None = None,
) -> Config:
    """Defaults, then the TOML file, then environment variables, then overrides (CLI flags).

    `env` defaults to os.environ. `overrides` holds Config field names; None values are
    skipped, strings are read like the environment variable of the same setting.
    Raises ConfigError, one line naming the file or variable, the key and what was expected;
    its ``zh`` is the same line in Simplified Chinese.
    """
    env = os.environ if env is None else env
    override_settings, override_paths = _split_overrides(overrides or {})
    paths = _paths(env, override_paths)
    values: dict[str, object] = {}
    document = _read_toml(paths["config_file"])
    if document is not None:
        values.update(_settings_from_file(paths["config_file"], document))
    values.update(_settings_from_env(env))
    values.update(override_settings)
    return Config(**values, **paths)  # type: ignore[arg-type]


def write_default_config(path: Path) -> bool:
    """Write DEFAULT_CONFIG_TOML to `path` unless a file is there; True when written."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        # Mode "x" keeps a file created meanwhile by another process.
        with path.open("x", encoding="utf-8", newline="\n") as handle:
            handle.write(DEFAULT_CONFIG_TOML)
    except FileExistsError:
        return False
    except OSError as exc:
        reason = _os_reason(exc)
        raise ConfigError(
            f"{path}: cannot write the config file: {reason.en}",
            f"{path}：无法写入配置文件：{reason.zh}",
        ) from None
    return True


# Config and the settings table describe the same fields; fail at import if they drift.
assert {f.name for f in fields(Config)} == {*_SETTINGS, *_PATH_FIELDS}
