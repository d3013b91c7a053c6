"""`graphpub completion bash|zsh|fish`: shell completion scripts made from the argument
parser itself, so they list exactly the commands and options graphpub has.

bash: `eval "$(graphpub completion bash)"` in ~/.bashrc; zsh: the same in ~/.zshrc (through
zsh's bashcompinit); fish: `graphpub completion fish > ~/.config/fish/completions/graphpub.fish`.
Specs complete as paths; `help` completes rule names; option values complete from their
choices (or directories for -C).
"""

from __future__ import annotations

import argparse
import shlex
from collections.abc import Sequence
from dataclasses import dataclass

SHELLS = ("bash", "zsh", "fish")


@dataclass(frozen=True)
class Option:
    flags: tuple[str, ...]
    takes_value: bool
    choices: tuple[str, ...]
    help: str
    directory: bool = False
    dest: str = ""


@dataclass(frozen=True)
class Command:
    name: str
    help: str
    options: tuple[Option, ...]


def _options(parser: argparse.ArgumentParser) -> tuple[Option, ...]:
    found = []
    for action in parser._actions:  # argparse has no public listing of its actions
        if not action.option_strings or isinstance(action, argparse._SubParsersAction):
            continue
        found.append(
            Option(
                flags=tuple(action.option_strings),
                takes_value=action.nargs != 0,
                choices=tuple(str(c) for c in action.choices or ()),
                help=(action.help or "").replace("\n", " "),
                directory=action.dest == "root",
                dest=action.dest,
            )
        )
    return tuple(found)


def describe(parser: argparse.ArgumentParser) -> tuple[tuple[Option, ...], tuple[Command, ...]]:
    """The global options and the commands of `parser`."""
    commands = []
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            helps = {choice.dest: choice.help or "" for choice in action._choices_actions}
            for name, sub in action.choices.items():
                commands.append(Command(name, helps.get(name, ""), _options(sub)))
    return _options(parser), tuple(commands)


def script(shell: str, parser: argparse.ArgumentParser, rules: Sequence[str]) -> str:
    options, commands = describe(parser)
    if shell == "fish":
        return _fish(options, commands, rules)
    body = _bash(options, commands, rules)
    if shell == "zsh":
        return (
            '# graphpub completion for zsh: eval "$(graphpub completion zsh)" in ~/.zshrc\n'
            "autoload -U +X compinit && compinit -u\n"
            "autoload -U +X bashcompinit && bashcompinit\n" + body
        )
    return body


def _unique(*options: Option) -> list[Option]:
    """Each option once: a command's parser repeats the global ones."""
    return list({o.flags: o for o in options}.values())


def _words(values: Sequence[str]) -> str:
    return shlex.quote(" ".join(values))


def _bash(options: Sequence[Option], commands: Sequence[Command], rules: Sequence[str]) -> str:
    valued = sorted(
        {
            f
            for o in (*options, *(o for c in commands for o in c.options))
            if o.takes_value
            for f in o.flags
        }
    )

    def reply(option: Option) -> str:
        if option.directory:
            return 'COMPREPLY=($(compgen -d -- "$cur"))'
        if option.choices:
            return f'COMPREPLY=($(compgen -W {_words(option.choices)} -- "$cur"))'
        if option.dest == "changed_since":  # git's branches and tags
            refs = "$(git for-each-ref --format='%(refname:short)' 2>/dev/null)"
            return f'COMPREPLY=($(compgen -W "{refs} HEAD" -- "$cur"))'
        if option.dest == "filter_target_type":
            return f'COMPREPLY=($(compgen -W {_words(rules)} -- "$cur"))'
        return "COMPREPLY=()"

    cases = []
    for command in commands:
        for option in _unique(*options, *command.options):
            if option.takes_value:
                patterns = "|".join(f'"{command.name} {flag}"' for flag in option.flags)
                cases.append(f"        {patterns}) {reply(option)}; return ;;")
    for option in options:  # before the command
        if option.takes_value:
            patterns = "|".join(f'" {flag}"' for flag in option.flags)
            cases.append(f"        {patterns}) {reply(option)}; return ;;")
    command_options = [
        f"        {c.name}) opts="
        + _words([f for o in _unique(*options, *c.options) for f in o.flags])
        + " ;;"
        for c in commands
    ]
    global_flags = [f for o in options for f in o.flags]
    lines = [
        '# graphpub completion for bash: eval "$(graphpub completion bash)" in ~/.bashrc',
        "_graphpub() {",
        '    local cur="${COMP_WORDS[COMP_CWORD]}" prev="${COMP_WORDS[COMP_CWORD-1]}"',
        '    local command="" opts="" i',
        "    for ((i = 1; i < COMP_CWORD; i++)); do",
        '        case "${COMP_WORDS[i]}" in',
        f"            {'|'.join(valued)}) ((i++)) ;;",
        "            -*) ;;",
        '            *) command="${COMP_WORDS[i]}"; break ;;',
        "        esac",
        "    done",
        '    case "$command $prev" in',
        *cases,
        "    esac",
        '    if [[ -z "$command" ]]; then',
        '        if [[ "$cur" == -* ]]; then',
        f'            COMPREPLY=($(compgen -W {_words(global_flags)} -- "$cur"))',
        "        else",
        f'            COMPREPLY=($(compgen -W {_words([c.name for c in commands])} -- "$cur"))',
        "        fi",
        "        return",
        "    fi",
        '    case "$command" in',
        *command_options,
        "    esac",
        '    if [[ "$cur" == -* ]]; then',
        '        COMPREPLY=($(compgen -W "$opts" -- "$cur"))',
        '    elif [[ "$command" == help ]]; then',
        f'        COMPREPLY=($(compgen -W {_words(rules)} -- "$cur"))',
        '    elif [[ "$command" == completion ]]; then',
        f'        COMPREPLY=($(compgen -W {_words(SHELLS)} -- "$cur"))',
        "    else",
        '        COMPREPLY=($(compgen -f -- "$cur"))  # specs: paths, dir::, dir:name',
        "    fi",
        "}",
        "complete -o filenames -F _graphpub graphpub",
    ]
    return "\n".join(lines) + "\n"


def _fish_quote(text: str) -> str:
    return "'" + text.replace("\\", "\\\\").replace("'", "\\'") + "'"


def _fish_option(option: Option, condition: str) -> str:
    parts = ["complete -c graphpub"]
    if condition:
        parts.append(f"-n {_fish_quote(condition)}")
    for flag in option.flags:
        parts.append(f"-l {flag[2:]}" if flag.startswith("--") else f"-s {flag[1:]}")
    if option.directory:
        parts.append("-x -a '(__fish_complete_directories)'")
    elif option.choices:
        parts.append(f"-x -a {_fish_quote(' '.join(option.choices))}")
    elif option.takes_value:
        parts.append("-r")
    if option.help:
        parts.append(f"-d {_fish_quote(option.help.split(':')[0][:80])}")
    return " ".join(parts)


def _fish(options: Sequence[Option], commands: Sequence[Command], rules: Sequence[str]) -> str:
    names = " ".join(c.name for c in commands)
    lines = [
        "# graphpub completion for fish: graphpub completion fish > "
        "~/.config/fish/completions/graphpub.fish",
        "complete -c graphpub -e",
    ]
    lines += [_fish_option(o, "") for o in options]
    for command in commands:
        lines.append(
            f"complete -c graphpub -f -n {_fish_quote(f'not __fish_seen_subcommand_from {names}')}"
            f" -a {command.name} -d {_fish_quote(command.help[:80])}"
        )
        seen = f"__fish_seen_subcommand_from {command.name}"
        global_flags = {f for o in options for f in o.flags}
        for option in command.options:
            if not set(option.flags) <= global_flags:
                lines.append(_fish_option(option, seen))
    lines.append(
        "complete -c graphpub -f -n '__fish_seen_subcommand_from help' "
        f"-a {_fish_quote(' '.join(rules))}"
    )
    lines.append(
        "complete -c graphpub -f -n '__fish_seen_subcommand_from completion' "
        f"-a {_fish_quote(' '.join(SHELLS))}"
    )
    return "\n".join(lines) + "\n"
