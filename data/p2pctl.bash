# bash completion for p2pctl(8)                            -*- shell-script -*-
# SPDX-License-Identifier: GPL-2.0-or-later
#
# Nouns, verbs and options are read from "p2pctl --help" (so they follow the
# installed p2pctl); provider ids from "p2pctl -j provider list", buffer ids
# from "p2pctl -j list", PCI addresses from /sys/bus/pci/devices.

# _p2pctl_commands: "noun verb --opt --opt..." per command of p2pctl --help.
_p2pctl_commands()
{
    "$1" --help 2>/dev/null | awk '
        /^Commands:/ { on = 1; next }
        /^[^ ]/ && on && !/^Commands:/ { on = 0 }
        on && /^  [a-z]/ {
            line = $1
            if ($2 ~ /^[a-z][a-z-]*$/) line = line " " $2
            for (i = 2; i <= NF; i++) {
                w = $i
                gsub(/[][]/, "", w)
                if (w ~ /^--[a-z][a-z-]*$/) line = line " " w
            }
            print line
        }'
}

# _p2pctl_ids CMD JSON-ARGS...: the "id" values of a JSON listing.
_p2pctl_ids()
{
    local cmd=$1
    shift
    "$cmd" -j "$@" 2>/dev/null |
        sed -n 's/.*"id"[[:space:]]*:[[:space:]]*\([0-9][0-9]*\).*/\1/p'
}

_p2pctl_pci()
{
    local d
    for d in /sys/bus/pci/devices/*; do
        [[ -e $d ]] && printf '%s\n' "${d##*/}"
    done
}

_p2pctl()
{
    local cur prev words cword
    _init_completion || return

    local cmd=${words[0]} noun= verb= i w
    local -a rest=()
    for ((i = 1; i < cword; i++)); do
        w=${words[i]}
        case $w in
        -j | --json) [[ -z $noun ]] && continue ;;
        esac
        if [[ -z $noun && $w != -* ]]; then
            noun=$w
        elif [[ -n $noun && -z $verb && $w != -* && ${#rest[@]} -eq 0 ]]; then
            verb=$w
            rest+=("$w")
        else
            rest+=("$w")
        fi
    done

    # Values of options.
    case $prev in
    --provider)
        COMPREPLY=($(compgen -W "$(_p2pctl_ids "$cmd" provider list)" -- "$cur"))
        return
        ;;
    --target | --edu | --ivshmem)
        COMPREPLY=($(compgen -W "$(_p2pctl_pci)" -- "$cur"))
        return
        ;;
    --device)
        _filedir
        return
        ;;
    --direction)
        COMPREPLY=($(compgen -W "to-device from-device bidirectional" -- "$cur"))
        return
        ;;
    --bar)
        COMPREPLY=($(compgen -W "0 1 2 3 4 5" -- "$cur"))
        return
        ;;
    --size | --offset | --length | --buffer-size | --fill | --count | --timeout)
        return
        ;;
    esac

    local commands
    commands=$(_p2pctl_commands "$cmd")

    if [[ -z $noun ]]; then
        if [[ $cur == -* ]]; then
            COMPREPLY=($(compgen -W "-j --json -h --help -V --version" -- "$cur"))
        else
            COMPREPLY=($(compgen -W "$(awk '{ print $1 }' <<<"$commands" | sort -u)" -- "$cur"))
        fi
        return
    fi

    local verbs
    verbs=$(awk -v n="$noun" '$1 == n && $2 !~ /^--/ && NF > 1 { print $2 }' <<<"$commands")
    if [[ $noun == help ]]; then
        [[ -z $verb ]] &&
            COMPREPLY=($(compgen -W "$(awk '{ print $1 }' <<<"$commands" | sort -u)" -- "$cur"))
        return
    fi
    if [[ -n $verbs && -z $verb ]]; then
        if [[ $cur == -* ]]; then
            COMPREPLY=($(compgen -W "--help" -- "$cur"))
        else
            COMPREPLY=($(compgen -W "$verbs" -- "$cur"))
        fi
        return
    fi
    [[ -z $verbs ]] && verb=

    if [[ $cur == -* ]]; then
        local opts
        opts=$(awk -v n="$noun" -v v="$verb" '
            $1 == n && (v == "" || $2 == v) {
                for (i = 2; i <= NF; i++) if ($i ~ /^--/) print $i
            }' <<<"$commands")
        COMPREPLY=($(compgen -W "$opts --help" -- "$cur"))
        return
    fi

    # Positional arguments.
    case "$noun $verb" in
    "provider add")
        COMPREPLY=($(compgen -W "$(_p2pctl_pci)" -- "$cur"))
        ;;
    "provider del" | "provider show")
        COMPREPLY=($(compgen -W "$(_p2pctl_ids "$cmd" provider list)" -- "$cur"))
        ;;
    "buffer show" | "buffer revoke")
        COMPREPLY=($(compgen -W "$(_p2pctl_ids "$cmd" list)" -- "$cur"))
        ;;
    esac
} &&
    complete -F _p2pctl p2pctl

# ex: filetype=sh
