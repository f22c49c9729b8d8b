# Print an optspec for argparse to handle cmd's options that are independent of any subcommand.
function __fish_msting_global_optspecs
    string join \n config= install-dir= json y/yes q/quiet v/verbose no-color h/help V/version
end

function __fish_msting_needs_command
    # Figure out if the current invocation already has a command.
    set -l cmd (commandline -opc)
    set -e cmd[1]
    argparse -s (__fish_msting_global_optspecs) -- $cmd 2>/dev/null
    or return
    if set -q argv[1]
        # Also print the command, so this can be used to figure out what it is.
        echo $argv[1]
        return 1
    end
    return 0
end

function __fish_msting_using_subcommand
    set -l cmd (__fish_msting_needs_command)
    test -z "$cmd"
    and return 1
    contains -- $cmd[1] $argv
end

complete -c msting -n "__fish_msting_needs_command" -l config -d 'The stack\'s config file [default: INSTALL_DIR/conf/config.yml]' -r -F
complete -c msting -n "__fish_msting_needs_command" -l install-dir -d 'Where the stack is installed [default: /opt/sting-ce]' -r -F
complete -c msting -n "__fish_msting_needs_command" -l json -d 'Print machine-readable JSON on stdout'
complete -c msting -n "__fish_msting_needs_command" -s y -l yes -d 'Answer yes to every confirmation (for scripts)'
complete -c msting -n "__fish_msting_needs_command" -s q -l quiet -d 'Print only errors'
complete -c msting -n "__fish_msting_needs_command" -s v -l verbose -d 'Print more detail (repeat for more)'
complete -c msting -n "__fish_msting_needs_command" -l no-color -d 'Never colour the output (also: the NO_COLOR environment variable)'
complete -c msting -n "__fish_msting_needs_command" -s h -l help -d 'Print help'
complete -c msting -n "__fish_msting_needs_command" -s V -l version -d 'Print version'
complete -c msting -n "__fish_msting_needs_command" -f -a "config" -d 'Check, show and migrate the stack\'s config.yml'
complete -c msting -n "__fish_msting_needs_command" -f -a "completions" -d 'Print the completion script for a shell (bash, zsh, fish, ...)'
complete -c msting -n "__fish_msting_needs_command" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c msting -n "__fish_msting_using_subcommand config; and not __fish_seen_subcommand_from validate show migrate schema help" -l config -d 'The stack\'s config file [default: INSTALL_DIR/conf/config.yml]' -r -F
complete -c msting -n "__fish_msting_using_subcommand config; and not __fish_seen_subcommand_from validate show migrate schema help" -l install-dir -d 'Where the stack is installed [default: /opt/sting-ce]' -r -F
complete -c msting -n "__fish_msting_using_subcommand config; and not __fish_seen_subcommand_from validate show migrate schema help" -l json -d 'Print machine-readable JSON on stdout'
complete -c msting -n "__fish_msting_using_subcommand config; and not __fish_seen_subcommand_from validate show migrate schema help" -s y -l yes -d 'Answer yes to every confirmation (for scripts)'
complete -c msting -n "__fish_msting_using_subcommand config; and not __fish_seen_subcommand_from validate show migrate schema help" -s q -l quiet -d 'Print only errors'
complete -c msting -n "__fish_msting_using_subcommand config; and not __fish_seen_subcommand_from validate show migrate schema help" -s v -l verbose -d 'Print more detail (repeat for more)'
complete -c msting -n "__fish_msting_using_subcommand config; and not __fish_seen_subcommand_from validate show migrate schema help" -l no-color -d 'Never colour the output (also: the NO_COLOR environment variable)'
complete -c msting -n "__fish_msting_using_subcommand config; and not __fish_seen_subcommand_from validate show migrate schema help" -s h -l help -d 'Print help'
complete -c msting -n "__fish_msting_using_subcommand config; and not __fish_seen_subcommand_from validate show migrate schema help" -s V -l version -d 'Print version'
complete -c msting -n "__fish_msting_using_subcommand config; and not __fish_seen_subcommand_from validate show migrate schema help" -f -a "validate" -d 'Check a config file and report every problem, with its line and a hint'
complete -c msting -n "__fish_msting_using_subcommand config; and not __fish_seen_subcommand_from validate show migrate schema help" -f -a "show" -d 'Print the effective configuration: defaults, then the file, then the environment (secrets are shown as their vault-ref references, never resolved)'
complete -c msting -n "__fish_msting_using_subcommand config; and not __fish_seen_subcommand_from validate show migrate schema help" -f -a "migrate" -d 'Bring an older config.yml up to this version: shows the change as a diff and writes it only with consent (a prompt, or --yes), keeping the old file beside it'
complete -c msting -n "__fish_msting_using_subcommand config; and not __fish_seen_subcommand_from validate show migrate schema help" -f -a "schema" -d 'Print the JSON schema of config.yml, for editors and other tools'
complete -c msting -n "__fish_msting_using_subcommand config; and not __fish_seen_subcommand_from validate show migrate schema help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c msting -n "__fish_msting_using_subcommand config; and __fish_seen_subcommand_from validate" -l config -d 'The stack\'s config file [default: INSTALL_DIR/conf/config.yml]' -r -F
complete -c msting -n "__fish_msting_using_subcommand config; and __fish_seen_subcommand_from validate" -l install-dir -d 'Where the stack is installed [default: /opt/sting-ce]' -r -F
complete -c msting -n "__fish_msting_using_subcommand config; and __fish_seen_subcommand_from validate" -l json -d 'Print machine-readable JSON on stdout'
complete -c msting -n "__fish_msting_using_subcommand config; and __fish_seen_subcommand_from validate" -s y -l yes -d 'Answer yes to every confirmation (for scripts)'
complete -c msting -n "__fish_msting_using_subcommand config; and __fish_seen_subcommand_from validate" -s q -l quiet -d 'Print only errors'
complete -c msting -n "__fish_msting_using_subcommand config; and __fish_seen_subcommand_from validate" -s v -l verbose -d 'Print more detail (repeat for more)'
complete -c msting -n "__fish_msting_using_subcommand config; and __fish_seen_subcommand_from validate" -l no-color -d 'Never colour the output (also: the NO_COLOR environment variable)'
complete -c msting -n "__fish_msting_using_subcommand config; and __fish_seen_subcommand_from validate" -s h -l help -d 'Print help'
complete -c msting -n "__fish_msting_using_subcommand config; and __fish_seen_subcommand_from validate" -s V -l version -d 'Print version'
complete -c msting -n "__fish_msting_using_subcommand config; and __fish_seen_subcommand_from show" -l config -d 'The stack\'s config file [default: INSTALL_DIR/conf/config.yml]' -r -F
complete -c msting -n "__fish_msting_using_subcommand config; and __fish_seen_subcommand_from show" -l install-dir -d 'Where the stack is installed [default: /opt/sting-ce]' -r -F
complete -c msting -n "__fish_msting_using_subcommand config; and __fish_seen_subcommand_from show" -l defaults -d 'Print the documented default config.yml instead'
complete -c msting -n "__fish_msting_using_subcommand config; and __fish_seen_subcommand_from show" -l json -d 'Print machine-readable JSON on stdout'
complete -c msting -n "__fish_msting_using_subcommand config; and __fish_seen_subcommand_from show" -s y -l yes -d 'Answer yes to every confirmation (for scripts)'
complete -c msting -n "__fish_msting_using_subcommand config; and __fish_seen_subcommand_from show" -s q -l quiet -d 'Print only errors'
complete -c msting -n "__fish_msting_using_subcommand config; and __fish_seen_subcommand_from show" -s v -l verbose -d 'Print more detail (repeat for more)'
complete -c msting -n "__fish_msting_using_subcommand config; and __fish_seen_subcommand_from show" -l no-color -d 'Never colour the output (also: the NO_COLOR environment variable)'
complete -c msting -n "__fish_msting_using_subcommand config; and __fish_seen_subcommand_from show" -s h -l help -d 'Print help'
complete -c msting -n "__fish_msting_using_subcommand config; and __fish_seen_subcommand_from show" -s V -l version -d 'Print version'
complete -c msting -n "__fish_msting_using_subcommand config; and __fish_seen_subcommand_from migrate" -l config -d 'The stack\'s config file [default: INSTALL_DIR/conf/config.yml]' -r -F
complete -c msting -n "__fish_msting_using_subcommand config; and __fish_seen_subcommand_from migrate" -l install-dir -d 'Where the stack is installed [default: /opt/sting-ce]' -r -F
complete -c msting -n "__fish_msting_using_subcommand config; and __fish_seen_subcommand_from migrate" -l dry-run -d 'Show the change and write nothing'
complete -c msting -n "__fish_msting_using_subcommand config; and __fish_seen_subcommand_from migrate" -l json -d 'Print machine-readable JSON on stdout'
complete -c msting -n "__fish_msting_using_subcommand config; and __fish_seen_subcommand_from migrate" -s y -l yes -d 'Answer yes to every confirmation (for scripts)'
complete -c msting -n "__fish_msting_using_subcommand config; and __fish_seen_subcommand_from migrate" -s q -l quiet -d 'Print only errors'
complete -c msting -n "__fish_msting_using_subcommand config; and __fish_seen_subcommand_from migrate" -s v -l verbose -d 'Print more detail (repeat for more)'
complete -c msting -n "__fish_msting_using_subcommand config; and __fish_seen_subcommand_from migrate" -l no-color -d 'Never colour the output (also: the NO_COLOR environment variable)'
complete -c msting -n "__fish_msting_using_subcommand config; and __fish_seen_subcommand_from migrate" -s h -l help -d 'Print help'
complete -c msting -n "__fish_msting_using_subcommand config; and __fish_seen_subcommand_from migrate" -s V -l version -d 'Print version'
complete -c msting -n "__fish_msting_using_subcommand config; and __fish_seen_subcommand_from schema" -l config -d 'The stack\'s config file [default: INSTALL_DIR/conf/config.yml]' -r -F
complete -c msting -n "__fish_msting_using_subcommand config; and __fish_seen_subcommand_from schema" -l install-dir -d 'Where the stack is installed [default: /opt/sting-ce]' -r -F
complete -c msting -n "__fish_msting_using_subcommand config; and __fish_seen_subcommand_from schema" -l json -d 'Print machine-readable JSON on stdout'
complete -c msting -n "__fish_msting_using_subcommand config; and __fish_seen_subcommand_from schema" -s y -l yes -d 'Answer yes to every confirmation (for scripts)'
complete -c msting -n "__fish_msting_using_subcommand config; and __fish_seen_subcommand_from schema" -s q -l quiet -d 'Print only errors'
complete -c msting -n "__fish_msting_using_subcommand config; and __fish_seen_subcommand_from schema" -s v -l verbose -d 'Print more detail (repeat for more)'
complete -c msting -n "__fish_msting_using_subcommand config; and __fish_seen_subcommand_from schema" -l no-color -d 'Never colour the output (also: the NO_COLOR environment variable)'
complete -c msting -n "__fish_msting_using_subcommand config; and __fish_seen_subcommand_from schema" -s h -l help -d 'Print help'
complete -c msting -n "__fish_msting_using_subcommand config; and __fish_seen_subcommand_from schema" -s V -l version -d 'Print version'
complete -c msting -n "__fish_msting_using_subcommand config; and __fish_seen_subcommand_from help" -f -a "validate" -d 'Check a config file and report every problem, with its line and a hint'
complete -c msting -n "__fish_msting_using_subcommand config; and __fish_seen_subcommand_from help" -f -a "show" -d 'Print the effective configuration: defaults, then the file, then the environment (secrets are shown as their vault-ref references, never resolved)'
complete -c msting -n "__fish_msting_using_subcommand config; and __fish_seen_subcommand_from help" -f -a "migrate" -d 'Bring an older config.yml up to this version: shows the change as a diff and writes it only with consent (a prompt, or --yes), keeping the old file beside it'
complete -c msting -n "__fish_msting_using_subcommand config; and __fish_seen_subcommand_from help" -f -a "schema" -d 'Print the JSON schema of config.yml, for editors and other tools'
complete -c msting -n "__fish_msting_using_subcommand config; and __fish_seen_subcommand_from help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c msting -n "__fish_msting_using_subcommand completions" -l config -d 'The stack\'s config file [default: INSTALL_DIR/conf/config.yml]' -r -F
complete -c msting -n "__fish_msting_using_subcommand completions" -l install-dir -d 'Where the stack is installed [default: /opt/sting-ce]' -r -F
complete -c msting -n "__fish_msting_using_subcommand completions" -l json -d 'Print machine-readable JSON on stdout'
complete -c msting -n "__fish_msting_using_subcommand completions" -s y -l yes -d 'Answer yes to every confirmation (for scripts)'
complete -c msting -n "__fish_msting_using_subcommand completions" -s q -l quiet -d 'Print only errors'
complete -c msting -n "__fish_msting_using_subcommand completions" -s v -l verbose -d 'Print more detail (repeat for more)'
complete -c msting -n "__fish_msting_using_subcommand completions" -l no-color -d 'Never colour the output (also: the NO_COLOR environment variable)'
complete -c msting -n "__fish_msting_using_subcommand completions" -s h -l help -d 'Print help'
complete -c msting -n "__fish_msting_using_subcommand completions" -s V -l version -d 'Print version'
complete -c msting -n "__fish_msting_using_subcommand help; and not __fish_seen_subcommand_from config completions help" -f -a "config" -d 'Check, show and migrate the stack\'s config.yml'
complete -c msting -n "__fish_msting_using_subcommand help; and not __fish_seen_subcommand_from config completions help" -f -a "completions" -d 'Print the completion script for a shell (bash, zsh, fish, ...)'
complete -c msting -n "__fish_msting_using_subcommand help; and not __fish_seen_subcommand_from config completions help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c msting -n "__fish_msting_using_subcommand help; and __fish_seen_subcommand_from config" -f -a "validate" -d 'Check a config file and report every problem, with its line and a hint'
complete -c msting -n "__fish_msting_using_subcommand help; and __fish_seen_subcommand_from config" -f -a "show" -d 'Print the effective configuration: defaults, then the file, then the environment (secrets are shown as their vault-ref references, never resolved)'
complete -c msting -n "__fish_msting_using_subcommand help; and __fish_seen_subcommand_from config" -f -a "migrate" -d 'Bring an older config.yml up to this version: shows the change as a diff and writes it only with consent (a prompt, or --yes), keeping the old file beside it'
complete -c msting -n "__fish_msting_using_subcommand help; and __fish_seen_subcommand_from config" -f -a "schema" -d 'Print the JSON schema of config.yml, for editors and other tools'
