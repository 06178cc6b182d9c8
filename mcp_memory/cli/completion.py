"""Shell completion scripts generated from the CLI's own parser, so they never drift from it."""

from __future__ import annotations

import argparse

__all__ = ["completion_script"]


def _commands(parser: argparse.ArgumentParser) -> dict[str, tuple[str, list[str]]]:
    action = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    helps = {c.dest: c.help or "" for c in action._choices_actions}
    return {
        name: (
            helps.get(name, ""),
            sorted(o for a in sub._actions for o in a.option_strings if o.startswith("--")),
        )
        for name, sub in action.choices.items()
    }


def completion_script(parser: argparse.ArgumentParser, shell: str) -> str:
    """A completion script for bash, zsh or fish: commands, then each command's options."""
    commands = _commands(parser)
    if shell == "fish":
        lines = [
            f"complete -c mcp-memory -f -n __fish_use_subcommand -a {name} -d {help_!r}"
            for name, (help_, _) in commands.items()
        ]
        for name, (_, options) in commands.items():
            lines += [
                f"complete -c mcp-memory -n '__fish_seen_subcommand_from {name}' -l {o[2:]}" for o in options
            ]
        return "\n".join(lines)
    cases = "\n".join(
        f'        {name}) opts="{" ".join(options)}" ;;' for name, (_, options) in commands.items()
    )
    body = f"""_mcp_memory() {{
    local cur=${{COMP_WORDS[COMP_CWORD]}} opts
    if [ "$COMP_CWORD" -eq 1 ]; then
        COMPREPLY=($(compgen -W "{" ".join(commands)}" -- "$cur"))
        return
    fi
    case "${{COMP_WORDS[1]}}" in
{cases}
        *) opts="" ;;
    esac
    COMPREPLY=($(compgen -W "$opts" -- "$cur"))
}}
complete -o default -F _mcp_memory mcp-memory"""
    if shell == "zsh":
        return "autoload -U +X bashcompinit && bashcompinit\n" + body
    return body
