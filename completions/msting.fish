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
complete -c msting -n "__fish_msting_needs_command" -f -a "install" -d 'Install the stack, or bring it to what the config asks for (a second run changes nothing)'
complete -c msting -n "__fish_msting_needs_command" -f -a "start" -d 'Start the stack\'s services (all, or those named)'
complete -c msting -n "__fish_msting_needs_command" -f -a "stop" -d 'Stop the stack\'s services (all, or those named); data stays'
complete -c msting -n "__fish_msting_needs_command" -f -a "restart" -d 'Restart the stack\'s services (all, or those named)'
complete -c msting -n "__fish_msting_needs_command" -f -a "status" -d 'The stack\'s services: state, health, uptime, image and ports, and what they answer'
complete -c msting -n "__fish_msting_needs_command" -f -a "health" -d 'Check the stack for cron and monitoring: exit 0 OK, 1 WARNING, 2 CRITICAL, 3 UNKNOWN'
complete -c msting -n "__fish_msting_needs_command" -f -a "cron" -d 'Schedule health, certificate renewal and nightly backups with cron'
complete -c msting -n "__fish_msting_needs_command" -f -a "doctor" -d 'Diagnose the clock, DNS, memory for the models, Vault login, migrations, Docker and ports'
complete -c msting -n "__fish_msting_needs_command" -f -a "support-bundle" -d 'Gather versions, health, the redacted config and recent logs into one archive (no secrets)'
complete -c msting -n "__fish_msting_needs_command" -f -a "logs" -d 'The services\' logs, interleaved with a prefix per service'
complete -c msting -n "__fish_msting_needs_command" -f -a "update" -d 'Update services to their newest images (built where a recipe changed), one at a time with health gating; a failed one returns to its previous image (and the database to a dump taken first, if its schema changed)'
complete -c msting -n "__fish_msting_needs_command" -f -a "config" -d 'Check, show and migrate the stack\'s config.yml'
complete -c msting -n "__fish_msting_needs_command" -f -a "vault" -d 'Initialise, inspect and rekey Vault'
complete -c msting -n "__fish_msting_needs_command" -f -a "unseal" -d 'Unseal Vault with key shares (a hidden prompt on a terminal, else stdin, one per line)'
complete -c msting -n "__fish_msting_needs_command" -f -a "vault-secret" -d 'Store, show and remove providers\' API keys (openai, anthropic, huggingface, smtp, ...)'
complete -c msting -n "__fish_msting_needs_command" -f -a "encryption-keys" -d 'Show or rotate the encryption key stingd\'s stored data keys are wrapped with'
complete -c msting -n "__fish_msting_needs_command" -f -a "secrets" -d 'Rotate the stack\'s generated secrets'
complete -c msting -n "__fish_msting_needs_command" -f -a "setup-ssl" -d 'Give stingd its HTTPS certificate (local CA by default, or your own files)'
complete -c msting -n "__fish_msting_needs_command" -f -a "certs" -d 'Certificates: what is installed and what stingd serves'
complete -c msting -n "__fish_msting_needs_command" -f -a "preflight" -d 'Check this machine for STING: root, Docker, CPUs and memory, disk, ports, GPU'
complete -c msting -n "__fish_msting_needs_command" -f -a "check-ports" -d 'Check that the ports stingd publishes are free'
complete -c msting -n "__fish_msting_needs_command" -f -a "stack" -d 'The stack this config describes'
complete -c msting -n "__fish_msting_needs_command" -f -a "models" -d 'The models in the models folder'
complete -c msting -n "__fish_msting_needs_command" -f -a "uninstall" -d 'Remove the stack\'s containers and networks (its data too with --purge)'
complete -c msting -n "__fish_msting_needs_command" -f -a "reset-auth" -d 'End every session of every user: everyone signs in again (API tokens stay valid)'
complete -c msting -n "__fish_msting_needs_command" -f -a "backup" -d 'Back up the stack (databases, Vault, config, certificates) into one file, encrypted by default'
complete -c msting -n "__fish_msting_needs_command" -f -a "restore" -d 'Restore a backup: verify it, keep a safety copy, replace the data, Vault and files, issue new credentials, start with health checks; on any failure the stack goes back as it was'
complete -c msting -n "__fish_msting_needs_command" -f -a "images" -d 'The stack\'s images and the offline bundle'
complete -c msting -n "__fish_msting_needs_command" -f -a "completions" -d 'Print the completion script for a shell (bash, zsh, fish, ...)'
complete -c msting -n "__fish_msting_needs_command" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c msting -n "__fish_msting_using_subcommand install" -l skip -d 'Skip a preflight check (repeatable): root, docker, resources, disk, ports, gpu' -r -f -a "root\t''
docker\t''
resources\t''
disk\t''
ports\t''
gpu\t''"
complete -c msting -n "__fish_msting_using_subcommand install" -l domain -d 'Host name people use to reach STING (first install; asked on a terminal)' -r
complete -c msting -n "__fish_msting_using_subcommand install" -l bind-address -d 'Address stingd\'s ports bind to (first install; asked on a terminal)' -r
complete -c msting -n "__fish_msting_using_subcommand install" -l admin-email -d 'Create the first admin and print their one-time enrolment link (on a terminal only; asked on the first install)' -r
complete -c msting -n "__fish_msting_using_subcommand install" -l smtp-host -d 'Mail server for invitations and sign-in links, or `none` (first install; asked on a terminal)' -r
complete -c msting -n "__fish_msting_using_subcommand install" -l smtp-port -d 'The mail server\'s port (first install) [default: 587]' -r
complete -c msting -n "__fish_msting_using_subcommand install" -l model-file -d 'The default model\'s GGUF file, copied into the models folder when it is missing there (offered on a terminal)' -r -F
complete -c msting -n "__fish_msting_using_subcommand install" -l bao -d 'OpenBao\'s `bao` binary, for the vault image [env: STING_BAO]' -r -F
complete -c msting -n "__fish_msting_using_subcommand install" -l stingd -d 'The `stingd` binary, for the stingd image [env: STING_STINGD; default: beside msting]' -r -F
complete -c msting -n "__fish_msting_using_subcommand install" -l llama-server -d 'llama.cpp\'s `llama-server` (its shared libraries beside it) [env: STING_LLAMA_SERVER]' -r -F
complete -c msting -n "__fish_msting_using_subcommand install" -l config -d 'The stack\'s config file [default: INSTALL_DIR/conf/config.yml]' -r -F
complete -c msting -n "__fish_msting_using_subcommand install" -l install-dir -d 'Where the stack is installed [default: /opt/sting-ce]' -r -F
complete -c msting -n "__fish_msting_using_subcommand install" -l json -d 'Print machine-readable JSON on stdout'
complete -c msting -n "__fish_msting_using_subcommand install" -s y -l yes -d 'Answer yes to every confirmation (for scripts)'
complete -c msting -n "__fish_msting_using_subcommand install" -s q -l quiet -d 'Print only errors'
complete -c msting -n "__fish_msting_using_subcommand install" -s v -l verbose -d 'Print more detail (repeat for more)'
complete -c msting -n "__fish_msting_using_subcommand install" -l no-color -d 'Never colour the output (also: the NO_COLOR environment variable)'
complete -c msting -n "__fish_msting_using_subcommand install" -s h -l help -d 'Print help'
complete -c msting -n "__fish_msting_using_subcommand install" -s V -l version -d 'Print version'
complete -c msting -n "__fish_msting_using_subcommand start" -l profile -d 'Also the services of this profile (dev: mailpit)' -r
complete -c msting -n "__fish_msting_using_subcommand start" -l config -d 'The stack\'s config file [default: INSTALL_DIR/conf/config.yml]' -r -F
complete -c msting -n "__fish_msting_using_subcommand start" -l install-dir -d 'Where the stack is installed [default: /opt/sting-ce]' -r -F
complete -c msting -n "__fish_msting_using_subcommand start" -l json -d 'Print machine-readable JSON on stdout'
complete -c msting -n "__fish_msting_using_subcommand start" -s y -l yes -d 'Answer yes to every confirmation (for scripts)'
complete -c msting -n "__fish_msting_using_subcommand start" -s q -l quiet -d 'Print only errors'
complete -c msting -n "__fish_msting_using_subcommand start" -s v -l verbose -d 'Print more detail (repeat for more)'
complete -c msting -n "__fish_msting_using_subcommand start" -l no-color -d 'Never colour the output (also: the NO_COLOR environment variable)'
complete -c msting -n "__fish_msting_using_subcommand start" -s h -l help -d 'Print help'
complete -c msting -n "__fish_msting_using_subcommand start" -s V -l version -d 'Print version'
complete -c msting -n "__fish_msting_using_subcommand stop" -l profile -d 'Also the services of this profile (dev: mailpit)' -r
complete -c msting -n "__fish_msting_using_subcommand stop" -l config -d 'The stack\'s config file [default: INSTALL_DIR/conf/config.yml]' -r -F
complete -c msting -n "__fish_msting_using_subcommand stop" -l install-dir -d 'Where the stack is installed [default: /opt/sting-ce]' -r -F
complete -c msting -n "__fish_msting_using_subcommand stop" -l json -d 'Print machine-readable JSON on stdout'
complete -c msting -n "__fish_msting_using_subcommand stop" -s y -l yes -d 'Answer yes to every confirmation (for scripts)'
complete -c msting -n "__fish_msting_using_subcommand stop" -s q -l quiet -d 'Print only errors'
complete -c msting -n "__fish_msting_using_subcommand stop" -s v -l verbose -d 'Print more detail (repeat for more)'
complete -c msting -n "__fish_msting_using_subcommand stop" -l no-color -d 'Never colour the output (also: the NO_COLOR environment variable)'
complete -c msting -n "__fish_msting_using_subcommand stop" -s h -l help -d 'Print help'
complete -c msting -n "__fish_msting_using_subcommand stop" -s V -l version -d 'Print version'
complete -c msting -n "__fish_msting_using_subcommand restart" -l profile -d 'Also the services of this profile (dev: mailpit)' -r
complete -c msting -n "__fish_msting_using_subcommand restart" -l config -d 'The stack\'s config file [default: INSTALL_DIR/conf/config.yml]' -r -F
complete -c msting -n "__fish_msting_using_subcommand restart" -l install-dir -d 'Where the stack is installed [default: /opt/sting-ce]' -r -F
complete -c msting -n "__fish_msting_using_subcommand restart" -l json -d 'Print machine-readable JSON on stdout'
complete -c msting -n "__fish_msting_using_subcommand restart" -s y -l yes -d 'Answer yes to every confirmation (for scripts)'
complete -c msting -n "__fish_msting_using_subcommand restart" -s q -l quiet -d 'Print only errors'
complete -c msting -n "__fish_msting_using_subcommand restart" -s v -l verbose -d 'Print more detail (repeat for more)'
complete -c msting -n "__fish_msting_using_subcommand restart" -l no-color -d 'Never colour the output (also: the NO_COLOR environment variable)'
complete -c msting -n "__fish_msting_using_subcommand restart" -s h -l help -d 'Print help'
complete -c msting -n "__fish_msting_using_subcommand restart" -s V -l version -d 'Print version'
complete -c msting -n "__fish_msting_using_subcommand status" -l config -d 'The stack\'s config file [default: INSTALL_DIR/conf/config.yml]' -r -F
complete -c msting -n "__fish_msting_using_subcommand status" -l install-dir -d 'Where the stack is installed [default: /opt/sting-ce]' -r -F
complete -c msting -n "__fish_msting_using_subcommand status" -l json -d 'Print machine-readable JSON on stdout'
complete -c msting -n "__fish_msting_using_subcommand status" -s y -l yes -d 'Answer yes to every confirmation (for scripts)'
complete -c msting -n "__fish_msting_using_subcommand status" -s q -l quiet -d 'Print only errors'
complete -c msting -n "__fish_msting_using_subcommand status" -s v -l verbose -d 'Print more detail (repeat for more)'
complete -c msting -n "__fish_msting_using_subcommand status" -l no-color -d 'Never colour the output (also: the NO_COLOR environment variable)'
complete -c msting -n "__fish_msting_using_subcommand status" -s h -l help -d 'Print help'
complete -c msting -n "__fish_msting_using_subcommand status" -s V -l version -d 'Print version'
complete -c msting -n "__fish_msting_using_subcommand health" -l check -d 'Run only this check (repeat for more) [default: all that apply]' -r -f -a "docker\t''
services\t''
vault\t''
db\t''
stingd\t''
models\t''
certificate\t''
backup\t''
disk\t''
shares\t''"
complete -c msting -n "__fish_msting_using_subcommand health" -l timeout -d 'How long each check may take before it is UNKNOWN [default: health.check_timeout]' -r
complete -c msting -n "__fish_msting_using_subcommand health" -l status-file -d 'The status file [default: INSTALL_DIR/status/health.json]' -r -F
complete -c msting -n "__fish_msting_using_subcommand health" -l max-age -d 'With --from-status: a result older than this is UNKNOWN (the cron job has stopped)' -r
complete -c msting -n "__fish_msting_using_subcommand health" -l config -d 'The stack\'s config file [default: INSTALL_DIR/conf/config.yml]' -r -F
complete -c msting -n "__fish_msting_using_subcommand health" -l install-dir -d 'Where the stack is installed [default: /opt/sting-ce]' -r -F
complete -c msting -n "__fish_msting_using_subcommand health" -l from-status -d 'Print the last result root\'s `msting health` wrote (needs neither Docker nor root)'
complete -c msting -n "__fish_msting_using_subcommand health" -l json -d 'Print machine-readable JSON on stdout'
complete -c msting -n "__fish_msting_using_subcommand health" -s y -l yes -d 'Answer yes to every confirmation (for scripts)'
complete -c msting -n "__fish_msting_using_subcommand health" -s q -l quiet -d 'Print only errors'
complete -c msting -n "__fish_msting_using_subcommand health" -s v -l verbose -d 'Print more detail (repeat for more)'
complete -c msting -n "__fish_msting_using_subcommand health" -l no-color -d 'Never colour the output (also: the NO_COLOR environment variable)'
complete -c msting -n "__fish_msting_using_subcommand health" -s h -l help -d 'Print help'
complete -c msting -n "__fish_msting_using_subcommand health" -s V -l version -d 'Print version'
complete -c msting -n "__fish_msting_using_subcommand cron; and not __fish_seen_subcommand_from install remove help" -l cron-dir -d 'Cron\'s folder of system jobs' -r -F
complete -c msting -n "__fish_msting_using_subcommand cron; and not __fish_seen_subcommand_from install remove help" -l config -d 'The stack\'s config file [default: INSTALL_DIR/conf/config.yml]' -r -F
complete -c msting -n "__fish_msting_using_subcommand cron; and not __fish_seen_subcommand_from install remove help" -l install-dir -d 'Where the stack is installed [default: /opt/sting-ce]' -r -F
complete -c msting -n "__fish_msting_using_subcommand cron; and not __fish_seen_subcommand_from install remove help" -l json -d 'Print machine-readable JSON on stdout'
complete -c msting -n "__fish_msting_using_subcommand cron; and not __fish_seen_subcommand_from install remove help" -s y -l yes -d 'Answer yes to every confirmation (for scripts)'
complete -c msting -n "__fish_msting_using_subcommand cron; and not __fish_seen_subcommand_from install remove help" -s q -l quiet -d 'Print only errors'
complete -c msting -n "__fish_msting_using_subcommand cron; and not __fish_seen_subcommand_from install remove help" -s v -l verbose -d 'Print more detail (repeat for more)'
complete -c msting -n "__fish_msting_using_subcommand cron; and not __fish_seen_subcommand_from install remove help" -l no-color -d 'Never colour the output (also: the NO_COLOR environment variable)'
complete -c msting -n "__fish_msting_using_subcommand cron; and not __fish_seen_subcommand_from install remove help" -s h -l help -d 'Print help'
complete -c msting -n "__fish_msting_using_subcommand cron; and not __fish_seen_subcommand_from install remove help" -s V -l version -d 'Print version'
complete -c msting -n "__fish_msting_using_subcommand cron; and not __fish_seen_subcommand_from install remove help" -f -a "install" -d 'Write the stack\'s cron file (the same file every time; run again after changing backup.recipients)'
complete -c msting -n "__fish_msting_using_subcommand cron; and not __fish_seen_subcommand_from install remove help" -f -a "remove" -d 'Remove the stack\'s cron file'
complete -c msting -n "__fish_msting_using_subcommand cron; and not __fish_seen_subcommand_from install remove help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c msting -n "__fish_msting_using_subcommand cron; and __fish_seen_subcommand_from install" -l cron-dir -d 'Cron\'s folder of system jobs' -r -F
complete -c msting -n "__fish_msting_using_subcommand cron; and __fish_seen_subcommand_from install" -l config -d 'The stack\'s config file [default: INSTALL_DIR/conf/config.yml]' -r -F
complete -c msting -n "__fish_msting_using_subcommand cron; and __fish_seen_subcommand_from install" -l install-dir -d 'Where the stack is installed [default: /opt/sting-ce]' -r -F
complete -c msting -n "__fish_msting_using_subcommand cron; and __fish_seen_subcommand_from install" -l json -d 'Print machine-readable JSON on stdout'
complete -c msting -n "__fish_msting_using_subcommand cron; and __fish_seen_subcommand_from install" -s y -l yes -d 'Answer yes to every confirmation (for scripts)'
complete -c msting -n "__fish_msting_using_subcommand cron; and __fish_seen_subcommand_from install" -s q -l quiet -d 'Print only errors'
complete -c msting -n "__fish_msting_using_subcommand cron; and __fish_seen_subcommand_from install" -s v -l verbose -d 'Print more detail (repeat for more)'
complete -c msting -n "__fish_msting_using_subcommand cron; and __fish_seen_subcommand_from install" -l no-color -d 'Never colour the output (also: the NO_COLOR environment variable)'
complete -c msting -n "__fish_msting_using_subcommand cron; and __fish_seen_subcommand_from install" -s h -l help -d 'Print help'
complete -c msting -n "__fish_msting_using_subcommand cron; and __fish_seen_subcommand_from install" -s V -l version -d 'Print version'
complete -c msting -n "__fish_msting_using_subcommand cron; and __fish_seen_subcommand_from remove" -l cron-dir -d 'Cron\'s folder of system jobs' -r -F
complete -c msting -n "__fish_msting_using_subcommand cron; and __fish_seen_subcommand_from remove" -l config -d 'The stack\'s config file [default: INSTALL_DIR/conf/config.yml]' -r -F
complete -c msting -n "__fish_msting_using_subcommand cron; and __fish_seen_subcommand_from remove" -l install-dir -d 'Where the stack is installed [default: /opt/sting-ce]' -r -F
complete -c msting -n "__fish_msting_using_subcommand cron; and __fish_seen_subcommand_from remove" -l json -d 'Print machine-readable JSON on stdout'
complete -c msting -n "__fish_msting_using_subcommand cron; and __fish_seen_subcommand_from remove" -s y -l yes -d 'Answer yes to every confirmation (for scripts)'
complete -c msting -n "__fish_msting_using_subcommand cron; and __fish_seen_subcommand_from remove" -s q -l quiet -d 'Print only errors'
complete -c msting -n "__fish_msting_using_subcommand cron; and __fish_seen_subcommand_from remove" -s v -l verbose -d 'Print more detail (repeat for more)'
complete -c msting -n "__fish_msting_using_subcommand cron; and __fish_seen_subcommand_from remove" -l no-color -d 'Never colour the output (also: the NO_COLOR environment variable)'
complete -c msting -n "__fish_msting_using_subcommand cron; and __fish_seen_subcommand_from remove" -s h -l help -d 'Print help'
complete -c msting -n "__fish_msting_using_subcommand cron; and __fish_seen_subcommand_from remove" -s V -l version -d 'Print version'
complete -c msting -n "__fish_msting_using_subcommand cron; and __fish_seen_subcommand_from help" -f -a "install" -d 'Write the stack\'s cron file (the same file every time; run again after changing backup.recipients)'
complete -c msting -n "__fish_msting_using_subcommand cron; and __fish_seen_subcommand_from help" -f -a "remove" -d 'Remove the stack\'s cron file'
complete -c msting -n "__fish_msting_using_subcommand cron; and __fish_seen_subcommand_from help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c msting -n "__fish_msting_using_subcommand doctor" -l config -d 'The stack\'s config file [default: INSTALL_DIR/conf/config.yml]' -r -F
complete -c msting -n "__fish_msting_using_subcommand doctor" -l install-dir -d 'Where the stack is installed [default: /opt/sting-ce]' -r -F
complete -c msting -n "__fish_msting_using_subcommand doctor" -l json -d 'Print machine-readable JSON on stdout'
complete -c msting -n "__fish_msting_using_subcommand doctor" -s y -l yes -d 'Answer yes to every confirmation (for scripts)'
complete -c msting -n "__fish_msting_using_subcommand doctor" -s q -l quiet -d 'Print only errors'
complete -c msting -n "__fish_msting_using_subcommand doctor" -s v -l verbose -d 'Print more detail (repeat for more)'
complete -c msting -n "__fish_msting_using_subcommand doctor" -l no-color -d 'Never colour the output (also: the NO_COLOR environment variable)'
complete -c msting -n "__fish_msting_using_subcommand doctor" -s h -l help -d 'Print help'
complete -c msting -n "__fish_msting_using_subcommand doctor" -s V -l version -d 'Print version'
complete -c msting -n "__fish_msting_using_subcommand support-bundle" -s o -l output -d 'The archive to write [default: ./sting-support-TIME.tar.gz]' -r -F
complete -c msting -n "__fish_msting_using_subcommand support-bundle" -l config -d 'The stack\'s config file [default: INSTALL_DIR/conf/config.yml]' -r -F
complete -c msting -n "__fish_msting_using_subcommand support-bundle" -l install-dir -d 'Where the stack is installed [default: /opt/sting-ce]' -r -F
complete -c msting -n "__fish_msting_using_subcommand support-bundle" -l json -d 'Print machine-readable JSON on stdout'
complete -c msting -n "__fish_msting_using_subcommand support-bundle" -s y -l yes -d 'Answer yes to every confirmation (for scripts)'
complete -c msting -n "__fish_msting_using_subcommand support-bundle" -s q -l quiet -d 'Print only errors'
complete -c msting -n "__fish_msting_using_subcommand support-bundle" -s v -l verbose -d 'Print more detail (repeat for more)'
complete -c msting -n "__fish_msting_using_subcommand support-bundle" -l no-color -d 'Never colour the output (also: the NO_COLOR environment variable)'
complete -c msting -n "__fish_msting_using_subcommand support-bundle" -s h -l help -d 'Print help'
complete -c msting -n "__fish_msting_using_subcommand support-bundle" -s V -l version -d 'Print version'
complete -c msting -n "__fish_msting_using_subcommand logs" -l since -d 'Only lines since this long ago (10m, 2h) or this time (RFC 3339)' -r
complete -c msting -n "__fish_msting_using_subcommand logs" -l tail -d 'Only the last N lines of each service' -r
complete -c msting -n "__fish_msting_using_subcommand logs" -l config -d 'The stack\'s config file [default: INSTALL_DIR/conf/config.yml]' -r -F
complete -c msting -n "__fish_msting_using_subcommand logs" -l install-dir -d 'Where the stack is installed [default: /opt/sting-ce]' -r -F
complete -c msting -n "__fish_msting_using_subcommand logs" -s f -l follow -d 'Keep following new lines'
complete -c msting -n "__fish_msting_using_subcommand logs" -l json -d 'Print machine-readable JSON on stdout'
complete -c msting -n "__fish_msting_using_subcommand logs" -s y -l yes -d 'Answer yes to every confirmation (for scripts)'
complete -c msting -n "__fish_msting_using_subcommand logs" -s q -l quiet -d 'Print only errors'
complete -c msting -n "__fish_msting_using_subcommand logs" -s v -l verbose -d 'Print more detail (repeat for more)'
complete -c msting -n "__fish_msting_using_subcommand logs" -l no-color -d 'Never colour the output (also: the NO_COLOR environment variable)'
complete -c msting -n "__fish_msting_using_subcommand logs" -s h -l help -d 'Print help'
complete -c msting -n "__fish_msting_using_subcommand logs" -s V -l version -d 'Print version'
complete -c msting -n "__fish_msting_using_subcommand update" -l bao -d 'OpenBao\'s `bao` binary, for the vault image [env: STING_BAO]' -r -F
complete -c msting -n "__fish_msting_using_subcommand update" -l stingd -d 'The `stingd` binary, for the stingd image [env: STING_STINGD; default: beside msting]' -r -F
complete -c msting -n "__fish_msting_using_subcommand update" -l llama-server -d 'llama.cpp\'s `llama-server` (its shared libraries beside it) [env: STING_LLAMA_SERVER]' -r -F
complete -c msting -n "__fish_msting_using_subcommand update" -l config -d 'The stack\'s config file [default: INSTALL_DIR/conf/config.yml]' -r -F
complete -c msting -n "__fish_msting_using_subcommand update" -l install-dir -d 'Where the stack is installed [default: /opt/sting-ce]' -r -F
complete -c msting -n "__fish_msting_using_subcommand update" -l json -d 'Print machine-readable JSON on stdout'
complete -c msting -n "__fish_msting_using_subcommand update" -s y -l yes -d 'Answer yes to every confirmation (for scripts)'
complete -c msting -n "__fish_msting_using_subcommand update" -s q -l quiet -d 'Print only errors'
complete -c msting -n "__fish_msting_using_subcommand update" -s v -l verbose -d 'Print more detail (repeat for more)'
complete -c msting -n "__fish_msting_using_subcommand update" -l no-color -d 'Never colour the output (also: the NO_COLOR environment variable)'
complete -c msting -n "__fish_msting_using_subcommand update" -s h -l help -d 'Print help'
complete -c msting -n "__fish_msting_using_subcommand update" -s V -l version -d 'Print version'
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
complete -c msting -n "__fish_msting_using_subcommand vault; and not __fish_seen_subcommand_from init status rekey credentials help" -l config -d 'The stack\'s config file [default: INSTALL_DIR/conf/config.yml]' -r -F
complete -c msting -n "__fish_msting_using_subcommand vault; and not __fish_seen_subcommand_from init status rekey credentials help" -l install-dir -d 'Where the stack is installed [default: /opt/sting-ce]' -r -F
complete -c msting -n "__fish_msting_using_subcommand vault; and not __fish_seen_subcommand_from init status rekey credentials help" -l json -d 'Print machine-readable JSON on stdout'
complete -c msting -n "__fish_msting_using_subcommand vault; and not __fish_seen_subcommand_from init status rekey credentials help" -s y -l yes -d 'Answer yes to every confirmation (for scripts)'
complete -c msting -n "__fish_msting_using_subcommand vault; and not __fish_seen_subcommand_from init status rekey credentials help" -s q -l quiet -d 'Print only errors'
complete -c msting -n "__fish_msting_using_subcommand vault; and not __fish_seen_subcommand_from init status rekey credentials help" -s v -l verbose -d 'Print more detail (repeat for more)'
complete -c msting -n "__fish_msting_using_subcommand vault; and not __fish_seen_subcommand_from init status rekey credentials help" -l no-color -d 'Never colour the output (also: the NO_COLOR environment variable)'
complete -c msting -n "__fish_msting_using_subcommand vault; and not __fish_seen_subcommand_from init status rekey credentials help" -s h -l help -d 'Print help'
complete -c msting -n "__fish_msting_using_subcommand vault; and not __fish_seen_subcommand_from init status rekey credentials help" -s V -l version -d 'Print version'
complete -c msting -n "__fish_msting_using_subcommand vault; and not __fish_seen_subcommand_from init status rekey credentials help" -f -a "init" -d 'Initialise Vault once: hand out the key shares (on this terminal, or age-encrypted to `vault.share_recipients`), set up secrets, policies and roles, keep msting\'s operator login, and revoke the root token'
complete -c msting -n "__fish_msting_using_subcommand vault; and not __fish_seen_subcommand_from init status rekey credentials help" -f -a "status" -d 'Whether Vault is initialised and sealed, its seal, version, storage and audit devices (exit status 1 when it is sealed or not initialised)'
complete -c msting -n "__fish_msting_using_subcommand vault; and not __fish_seen_subcommand_from init status rekey credentials help" -f -a "rekey" -d 'Replace the key shares when a holder leaves (unseal shares, or recovery shares with auto-unseal): a threshold of current shares in (prompt, stdin or --key-file), a new set out as at init (`vault.key_shares`, `key_threshold`, `share_recipients`)'
complete -c msting -n "__fish_msting_using_subcommand vault; and not __fish_seen_subcommand_from init status rekey credentials help" -f -a "credentials" -d 'Give a service its Vault login: its role-id and a fresh, response-wrapped, single-use secret-id, as files (0400 in a 0700 folder) to mount read-only into its container'
complete -c msting -n "__fish_msting_using_subcommand vault; and not __fish_seen_subcommand_from init status rekey credentials help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c msting -n "__fish_msting_using_subcommand vault; and __fish_seen_subcommand_from init" -l config -d 'The stack\'s config file [default: INSTALL_DIR/conf/config.yml]' -r -F
complete -c msting -n "__fish_msting_using_subcommand vault; and __fish_seen_subcommand_from init" -l install-dir -d 'Where the stack is installed [default: /opt/sting-ce]' -r -F
complete -c msting -n "__fish_msting_using_subcommand vault; and __fish_seen_subcommand_from init" -l json -d 'Print machine-readable JSON on stdout'
complete -c msting -n "__fish_msting_using_subcommand vault; and __fish_seen_subcommand_from init" -s y -l yes -d 'Answer yes to every confirmation (for scripts)'
complete -c msting -n "__fish_msting_using_subcommand vault; and __fish_seen_subcommand_from init" -s q -l quiet -d 'Print only errors'
complete -c msting -n "__fish_msting_using_subcommand vault; and __fish_seen_subcommand_from init" -s v -l verbose -d 'Print more detail (repeat for more)'
complete -c msting -n "__fish_msting_using_subcommand vault; and __fish_seen_subcommand_from init" -l no-color -d 'Never colour the output (also: the NO_COLOR environment variable)'
complete -c msting -n "__fish_msting_using_subcommand vault; and __fish_seen_subcommand_from init" -s h -l help -d 'Print help'
complete -c msting -n "__fish_msting_using_subcommand vault; and __fish_seen_subcommand_from init" -s V -l version -d 'Print version'
complete -c msting -n "__fish_msting_using_subcommand vault; and __fish_seen_subcommand_from status" -l config -d 'The stack\'s config file [default: INSTALL_DIR/conf/config.yml]' -r -F
complete -c msting -n "__fish_msting_using_subcommand vault; and __fish_seen_subcommand_from status" -l install-dir -d 'Where the stack is installed [default: /opt/sting-ce]' -r -F
complete -c msting -n "__fish_msting_using_subcommand vault; and __fish_seen_subcommand_from status" -l json -d 'Print machine-readable JSON on stdout'
complete -c msting -n "__fish_msting_using_subcommand vault; and __fish_seen_subcommand_from status" -s y -l yes -d 'Answer yes to every confirmation (for scripts)'
complete -c msting -n "__fish_msting_using_subcommand vault; and __fish_seen_subcommand_from status" -s q -l quiet -d 'Print only errors'
complete -c msting -n "__fish_msting_using_subcommand vault; and __fish_seen_subcommand_from status" -s v -l verbose -d 'Print more detail (repeat for more)'
complete -c msting -n "__fish_msting_using_subcommand vault; and __fish_seen_subcommand_from status" -l no-color -d 'Never colour the output (also: the NO_COLOR environment variable)'
complete -c msting -n "__fish_msting_using_subcommand vault; and __fish_seen_subcommand_from status" -s h -l help -d 'Print help'
complete -c msting -n "__fish_msting_using_subcommand vault; and __fish_seen_subcommand_from status" -s V -l version -d 'Print version'
complete -c msting -n "__fish_msting_using_subcommand vault; and __fish_seen_subcommand_from rekey" -l key-file -d 'Read the current shares from this file, one per line' -r -F
complete -c msting -n "__fish_msting_using_subcommand vault; and __fish_seen_subcommand_from rekey" -l config -d 'The stack\'s config file [default: INSTALL_DIR/conf/config.yml]' -r -F
complete -c msting -n "__fish_msting_using_subcommand vault; and __fish_seen_subcommand_from rekey" -l install-dir -d 'Where the stack is installed [default: /opt/sting-ce]' -r -F
complete -c msting -n "__fish_msting_using_subcommand vault; and __fish_seen_subcommand_from rekey" -l json -d 'Print machine-readable JSON on stdout'
complete -c msting -n "__fish_msting_using_subcommand vault; and __fish_seen_subcommand_from rekey" -s y -l yes -d 'Answer yes to every confirmation (for scripts)'
complete -c msting -n "__fish_msting_using_subcommand vault; and __fish_seen_subcommand_from rekey" -s q -l quiet -d 'Print only errors'
complete -c msting -n "__fish_msting_using_subcommand vault; and __fish_seen_subcommand_from rekey" -s v -l verbose -d 'Print more detail (repeat for more)'
complete -c msting -n "__fish_msting_using_subcommand vault; and __fish_seen_subcommand_from rekey" -l no-color -d 'Never colour the output (also: the NO_COLOR environment variable)'
complete -c msting -n "__fish_msting_using_subcommand vault; and __fish_seen_subcommand_from rekey" -s h -l help -d 'Print help'
complete -c msting -n "__fish_msting_using_subcommand vault; and __fish_seen_subcommand_from rekey" -s V -l version -d 'Print version'
complete -c msting -n "__fish_msting_using_subcommand vault; and __fish_seen_subcommand_from credentials" -l dir -d 'Where to write them [default: SECRETS_DIR/vault/SERVICE]' -r -F
complete -c msting -n "__fish_msting_using_subcommand vault; and __fish_seen_subcommand_from credentials" -l valid-for -d 'How long the wrapped secret-id may wait to be opened' -r
complete -c msting -n "__fish_msting_using_subcommand vault; and __fish_seen_subcommand_from credentials" -l config -d 'The stack\'s config file [default: INSTALL_DIR/conf/config.yml]' -r -F
complete -c msting -n "__fish_msting_using_subcommand vault; and __fish_seen_subcommand_from credentials" -l install-dir -d 'Where the stack is installed [default: /opt/sting-ce]' -r -F
complete -c msting -n "__fish_msting_using_subcommand vault; and __fish_seen_subcommand_from credentials" -l json -d 'Print machine-readable JSON on stdout'
complete -c msting -n "__fish_msting_using_subcommand vault; and __fish_seen_subcommand_from credentials" -s y -l yes -d 'Answer yes to every confirmation (for scripts)'
complete -c msting -n "__fish_msting_using_subcommand vault; and __fish_seen_subcommand_from credentials" -s q -l quiet -d 'Print only errors'
complete -c msting -n "__fish_msting_using_subcommand vault; and __fish_seen_subcommand_from credentials" -s v -l verbose -d 'Print more detail (repeat for more)'
complete -c msting -n "__fish_msting_using_subcommand vault; and __fish_seen_subcommand_from credentials" -l no-color -d 'Never colour the output (also: the NO_COLOR environment variable)'
complete -c msting -n "__fish_msting_using_subcommand vault; and __fish_seen_subcommand_from credentials" -s h -l help -d 'Print help'
complete -c msting -n "__fish_msting_using_subcommand vault; and __fish_seen_subcommand_from credentials" -s V -l version -d 'Print version'
complete -c msting -n "__fish_msting_using_subcommand vault; and __fish_seen_subcommand_from help" -f -a "init" -d 'Initialise Vault once: hand out the key shares (on this terminal, or age-encrypted to `vault.share_recipients`), set up secrets, policies and roles, keep msting\'s operator login, and revoke the root token'
complete -c msting -n "__fish_msting_using_subcommand vault; and __fish_seen_subcommand_from help" -f -a "status" -d 'Whether Vault is initialised and sealed, its seal, version, storage and audit devices (exit status 1 when it is sealed or not initialised)'
complete -c msting -n "__fish_msting_using_subcommand vault; and __fish_seen_subcommand_from help" -f -a "rekey" -d 'Replace the key shares when a holder leaves (unseal shares, or recovery shares with auto-unseal): a threshold of current shares in (prompt, stdin or --key-file), a new set out as at init (`vault.key_shares`, `key_threshold`, `share_recipients`)'
complete -c msting -n "__fish_msting_using_subcommand vault; and __fish_seen_subcommand_from help" -f -a "credentials" -d 'Give a service its Vault login: its role-id and a fresh, response-wrapped, single-use secret-id, as files (0400 in a 0700 folder) to mount read-only into its container'
complete -c msting -n "__fish_msting_using_subcommand vault; and __fish_seen_subcommand_from help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c msting -n "__fish_msting_using_subcommand unseal" -l key-file -d 'Read the shares from this file, one per line (keep it off the host afterwards)' -r -F
complete -c msting -n "__fish_msting_using_subcommand unseal" -l config -d 'The stack\'s config file [default: INSTALL_DIR/conf/config.yml]' -r -F
complete -c msting -n "__fish_msting_using_subcommand unseal" -l install-dir -d 'Where the stack is installed [default: /opt/sting-ce]' -r -F
complete -c msting -n "__fish_msting_using_subcommand unseal" -l json -d 'Print machine-readable JSON on stdout'
complete -c msting -n "__fish_msting_using_subcommand unseal" -s y -l yes -d 'Answer yes to every confirmation (for scripts)'
complete -c msting -n "__fish_msting_using_subcommand unseal" -s q -l quiet -d 'Print only errors'
complete -c msting -n "__fish_msting_using_subcommand unseal" -s v -l verbose -d 'Print more detail (repeat for more)'
complete -c msting -n "__fish_msting_using_subcommand unseal" -l no-color -d 'Never colour the output (also: the NO_COLOR environment variable)'
complete -c msting -n "__fish_msting_using_subcommand unseal" -s h -l help -d 'Print help'
complete -c msting -n "__fish_msting_using_subcommand unseal" -s V -l version -d 'Print version'
complete -c msting -n "__fish_msting_using_subcommand vault-secret; and not __fish_seen_subcommand_from list get set rm help" -l config -d 'The stack\'s config file [default: INSTALL_DIR/conf/config.yml]' -r -F
complete -c msting -n "__fish_msting_using_subcommand vault-secret; and not __fish_seen_subcommand_from list get set rm help" -l install-dir -d 'Where the stack is installed [default: /opt/sting-ce]' -r -F
complete -c msting -n "__fish_msting_using_subcommand vault-secret; and not __fish_seen_subcommand_from list get set rm help" -l json -d 'Print machine-readable JSON on stdout'
complete -c msting -n "__fish_msting_using_subcommand vault-secret; and not __fish_seen_subcommand_from list get set rm help" -s y -l yes -d 'Answer yes to every confirmation (for scripts)'
complete -c msting -n "__fish_msting_using_subcommand vault-secret; and not __fish_seen_subcommand_from list get set rm help" -s q -l quiet -d 'Print only errors'
complete -c msting -n "__fish_msting_using_subcommand vault-secret; and not __fish_seen_subcommand_from list get set rm help" -s v -l verbose -d 'Print more detail (repeat for more)'
complete -c msting -n "__fish_msting_using_subcommand vault-secret; and not __fish_seen_subcommand_from list get set rm help" -l no-color -d 'Never colour the output (also: the NO_COLOR environment variable)'
complete -c msting -n "__fish_msting_using_subcommand vault-secret; and not __fish_seen_subcommand_from list get set rm help" -s h -l help -d 'Print help'
complete -c msting -n "__fish_msting_using_subcommand vault-secret; and not __fish_seen_subcommand_from list get set rm help" -s V -l version -d 'Print version'
complete -c msting -n "__fish_msting_using_subcommand vault-secret; and not __fish_seen_subcommand_from list get set rm help" -f -a "list" -d 'The providers with stored values, and the values\' names (never the values)'
complete -c msting -n "__fish_msting_using_subcommand vault-secret; and not __fish_seen_subcommand_from list get set rm help" -f -a "get" -d 'Show a stored value, masked unless --reveal'
complete -c msting -n "__fish_msting_using_subcommand vault-secret; and not __fish_seen_subcommand_from list get set rm help" -f -a "set" -d 'Store a value, read from a hidden prompt or from stdin (never from the command line)'
complete -c msting -n "__fish_msting_using_subcommand vault-secret; and not __fish_seen_subcommand_from list get set rm help" -f -a "rm" -d 'Remove a value, or with no name every value of the provider'
complete -c msting -n "__fish_msting_using_subcommand vault-secret; and not __fish_seen_subcommand_from list get set rm help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c msting -n "__fish_msting_using_subcommand vault-secret; and __fish_seen_subcommand_from list" -l config -d 'The stack\'s config file [default: INSTALL_DIR/conf/config.yml]' -r -F
complete -c msting -n "__fish_msting_using_subcommand vault-secret; and __fish_seen_subcommand_from list" -l install-dir -d 'Where the stack is installed [default: /opt/sting-ce]' -r -F
complete -c msting -n "__fish_msting_using_subcommand vault-secret; and __fish_seen_subcommand_from list" -l json -d 'Print machine-readable JSON on stdout'
complete -c msting -n "__fish_msting_using_subcommand vault-secret; and __fish_seen_subcommand_from list" -s y -l yes -d 'Answer yes to every confirmation (for scripts)'
complete -c msting -n "__fish_msting_using_subcommand vault-secret; and __fish_seen_subcommand_from list" -s q -l quiet -d 'Print only errors'
complete -c msting -n "__fish_msting_using_subcommand vault-secret; and __fish_seen_subcommand_from list" -s v -l verbose -d 'Print more detail (repeat for more)'
complete -c msting -n "__fish_msting_using_subcommand vault-secret; and __fish_seen_subcommand_from list" -l no-color -d 'Never colour the output (also: the NO_COLOR environment variable)'
complete -c msting -n "__fish_msting_using_subcommand vault-secret; and __fish_seen_subcommand_from list" -s h -l help -d 'Print help'
complete -c msting -n "__fish_msting_using_subcommand vault-secret; and __fish_seen_subcommand_from list" -s V -l version -d 'Print version'
complete -c msting -n "__fish_msting_using_subcommand vault-secret; and __fish_seen_subcommand_from get" -l config -d 'The stack\'s config file [default: INSTALL_DIR/conf/config.yml]' -r -F
complete -c msting -n "__fish_msting_using_subcommand vault-secret; and __fish_seen_subcommand_from get" -l install-dir -d 'Where the stack is installed [default: /opt/sting-ce]' -r -F
complete -c msting -n "__fish_msting_using_subcommand vault-secret; and __fish_seen_subcommand_from get" -l reveal -d 'Show the value itself (only on a terminal)'
complete -c msting -n "__fish_msting_using_subcommand vault-secret; and __fish_seen_subcommand_from get" -l json -d 'Print machine-readable JSON on stdout'
complete -c msting -n "__fish_msting_using_subcommand vault-secret; and __fish_seen_subcommand_from get" -s y -l yes -d 'Answer yes to every confirmation (for scripts)'
complete -c msting -n "__fish_msting_using_subcommand vault-secret; and __fish_seen_subcommand_from get" -s q -l quiet -d 'Print only errors'
complete -c msting -n "__fish_msting_using_subcommand vault-secret; and __fish_seen_subcommand_from get" -s v -l verbose -d 'Print more detail (repeat for more)'
complete -c msting -n "__fish_msting_using_subcommand vault-secret; and __fish_seen_subcommand_from get" -l no-color -d 'Never colour the output (also: the NO_COLOR environment variable)'
complete -c msting -n "__fish_msting_using_subcommand vault-secret; and __fish_seen_subcommand_from get" -s h -l help -d 'Print help'
complete -c msting -n "__fish_msting_using_subcommand vault-secret; and __fish_seen_subcommand_from get" -s V -l version -d 'Print version'
complete -c msting -n "__fish_msting_using_subcommand vault-secret; and __fish_seen_subcommand_from set" -l config -d 'The stack\'s config file [default: INSTALL_DIR/conf/config.yml]' -r -F
complete -c msting -n "__fish_msting_using_subcommand vault-secret; and __fish_seen_subcommand_from set" -l install-dir -d 'Where the stack is installed [default: /opt/sting-ce]' -r -F
complete -c msting -n "__fish_msting_using_subcommand vault-secret; and __fish_seen_subcommand_from set" -l json -d 'Print machine-readable JSON on stdout'
complete -c msting -n "__fish_msting_using_subcommand vault-secret; and __fish_seen_subcommand_from set" -s y -l yes -d 'Answer yes to every confirmation (for scripts)'
complete -c msting -n "__fish_msting_using_subcommand vault-secret; and __fish_seen_subcommand_from set" -s q -l quiet -d 'Print only errors'
complete -c msting -n "__fish_msting_using_subcommand vault-secret; and __fish_seen_subcommand_from set" -s v -l verbose -d 'Print more detail (repeat for more)'
complete -c msting -n "__fish_msting_using_subcommand vault-secret; and __fish_seen_subcommand_from set" -l no-color -d 'Never colour the output (also: the NO_COLOR environment variable)'
complete -c msting -n "__fish_msting_using_subcommand vault-secret; and __fish_seen_subcommand_from set" -s h -l help -d 'Print help'
complete -c msting -n "__fish_msting_using_subcommand vault-secret; and __fish_seen_subcommand_from set" -s V -l version -d 'Print version'
complete -c msting -n "__fish_msting_using_subcommand vault-secret; and __fish_seen_subcommand_from rm" -l config -d 'The stack\'s config file [default: INSTALL_DIR/conf/config.yml]' -r -F
complete -c msting -n "__fish_msting_using_subcommand vault-secret; and __fish_seen_subcommand_from rm" -l install-dir -d 'Where the stack is installed [default: /opt/sting-ce]' -r -F
complete -c msting -n "__fish_msting_using_subcommand vault-secret; and __fish_seen_subcommand_from rm" -l json -d 'Print machine-readable JSON on stdout'
complete -c msting -n "__fish_msting_using_subcommand vault-secret; and __fish_seen_subcommand_from rm" -s y -l yes -d 'Answer yes to every confirmation (for scripts)'
complete -c msting -n "__fish_msting_using_subcommand vault-secret; and __fish_seen_subcommand_from rm" -s q -l quiet -d 'Print only errors'
complete -c msting -n "__fish_msting_using_subcommand vault-secret; and __fish_seen_subcommand_from rm" -s v -l verbose -d 'Print more detail (repeat for more)'
complete -c msting -n "__fish_msting_using_subcommand vault-secret; and __fish_seen_subcommand_from rm" -l no-color -d 'Never colour the output (also: the NO_COLOR environment variable)'
complete -c msting -n "__fish_msting_using_subcommand vault-secret; and __fish_seen_subcommand_from rm" -s h -l help -d 'Print help'
complete -c msting -n "__fish_msting_using_subcommand vault-secret; and __fish_seen_subcommand_from rm" -s V -l version -d 'Print version'
complete -c msting -n "__fish_msting_using_subcommand vault-secret; and __fish_seen_subcommand_from help" -f -a "list" -d 'The providers with stored values, and the values\' names (never the values)'
complete -c msting -n "__fish_msting_using_subcommand vault-secret; and __fish_seen_subcommand_from help" -f -a "get" -d 'Show a stored value, masked unless --reveal'
complete -c msting -n "__fish_msting_using_subcommand vault-secret; and __fish_seen_subcommand_from help" -f -a "set" -d 'Store a value, read from a hidden prompt or from stdin (never from the command line)'
complete -c msting -n "__fish_msting_using_subcommand vault-secret; and __fish_seen_subcommand_from help" -f -a "rm" -d 'Remove a value, or with no name every value of the provider'
complete -c msting -n "__fish_msting_using_subcommand vault-secret; and __fish_seen_subcommand_from help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c msting -n "__fish_msting_using_subcommand encryption-keys; and not __fish_seen_subcommand_from status rotate help" -l config -d 'The stack\'s config file [default: INSTALL_DIR/conf/config.yml]' -r -F
complete -c msting -n "__fish_msting_using_subcommand encryption-keys; and not __fish_seen_subcommand_from status rotate help" -l install-dir -d 'Where the stack is installed [default: /opt/sting-ce]' -r -F
complete -c msting -n "__fish_msting_using_subcommand encryption-keys; and not __fish_seen_subcommand_from status rotate help" -l json -d 'Print machine-readable JSON on stdout'
complete -c msting -n "__fish_msting_using_subcommand encryption-keys; and not __fish_seen_subcommand_from status rotate help" -s y -l yes -d 'Answer yes to every confirmation (for scripts)'
complete -c msting -n "__fish_msting_using_subcommand encryption-keys; and not __fish_seen_subcommand_from status rotate help" -s q -l quiet -d 'Print only errors'
complete -c msting -n "__fish_msting_using_subcommand encryption-keys; and not __fish_seen_subcommand_from status rotate help" -s v -l verbose -d 'Print more detail (repeat for more)'
complete -c msting -n "__fish_msting_using_subcommand encryption-keys; and not __fish_seen_subcommand_from status rotate help" -l no-color -d 'Never colour the output (also: the NO_COLOR environment variable)'
complete -c msting -n "__fish_msting_using_subcommand encryption-keys; and not __fish_seen_subcommand_from status rotate help" -s h -l help -d 'Print help'
complete -c msting -n "__fish_msting_using_subcommand encryption-keys; and not __fish_seen_subcommand_from status rotate help" -s V -l version -d 'Print version'
complete -c msting -n "__fish_msting_using_subcommand encryption-keys; and not __fish_seen_subcommand_from status rotate help" -f -a "status" -d 'Key versions, the last rotation, and the oldest version that still decrypts'
complete -c msting -n "__fish_msting_using_subcommand encryption-keys; and not __fish_seen_subcommand_from status rotate help" -f -a "rotate" -d 'Make a new key version: new data uses it, old data still decrypts'
complete -c msting -n "__fish_msting_using_subcommand encryption-keys; and not __fish_seen_subcommand_from status rotate help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c msting -n "__fish_msting_using_subcommand encryption-keys; and __fish_seen_subcommand_from status" -l config -d 'The stack\'s config file [default: INSTALL_DIR/conf/config.yml]' -r -F
complete -c msting -n "__fish_msting_using_subcommand encryption-keys; and __fish_seen_subcommand_from status" -l install-dir -d 'Where the stack is installed [default: /opt/sting-ce]' -r -F
complete -c msting -n "__fish_msting_using_subcommand encryption-keys; and __fish_seen_subcommand_from status" -l json -d 'Print machine-readable JSON on stdout'
complete -c msting -n "__fish_msting_using_subcommand encryption-keys; and __fish_seen_subcommand_from status" -s y -l yes -d 'Answer yes to every confirmation (for scripts)'
complete -c msting -n "__fish_msting_using_subcommand encryption-keys; and __fish_seen_subcommand_from status" -s q -l quiet -d 'Print only errors'
complete -c msting -n "__fish_msting_using_subcommand encryption-keys; and __fish_seen_subcommand_from status" -s v -l verbose -d 'Print more detail (repeat for more)'
complete -c msting -n "__fish_msting_using_subcommand encryption-keys; and __fish_seen_subcommand_from status" -l no-color -d 'Never colour the output (also: the NO_COLOR environment variable)'
complete -c msting -n "__fish_msting_using_subcommand encryption-keys; and __fish_seen_subcommand_from status" -s h -l help -d 'Print help'
complete -c msting -n "__fish_msting_using_subcommand encryption-keys; and __fish_seen_subcommand_from status" -s V -l version -d 'Print version'
complete -c msting -n "__fish_msting_using_subcommand encryption-keys; and __fish_seen_subcommand_from rotate" -l config -d 'The stack\'s config file [default: INSTALL_DIR/conf/config.yml]' -r -F
complete -c msting -n "__fish_msting_using_subcommand encryption-keys; and __fish_seen_subcommand_from rotate" -l install-dir -d 'Where the stack is installed [default: /opt/sting-ce]' -r -F
complete -c msting -n "__fish_msting_using_subcommand encryption-keys; and __fish_seen_subcommand_from rotate" -l json -d 'Print machine-readable JSON on stdout'
complete -c msting -n "__fish_msting_using_subcommand encryption-keys; and __fish_seen_subcommand_from rotate" -s y -l yes -d 'Answer yes to every confirmation (for scripts)'
complete -c msting -n "__fish_msting_using_subcommand encryption-keys; and __fish_seen_subcommand_from rotate" -s q -l quiet -d 'Print only errors'
complete -c msting -n "__fish_msting_using_subcommand encryption-keys; and __fish_seen_subcommand_from rotate" -s v -l verbose -d 'Print more detail (repeat for more)'
complete -c msting -n "__fish_msting_using_subcommand encryption-keys; and __fish_seen_subcommand_from rotate" -l no-color -d 'Never colour the output (also: the NO_COLOR environment variable)'
complete -c msting -n "__fish_msting_using_subcommand encryption-keys; and __fish_seen_subcommand_from rotate" -s h -l help -d 'Print help'
complete -c msting -n "__fish_msting_using_subcommand encryption-keys; and __fish_seen_subcommand_from rotate" -s V -l version -d 'Print version'
complete -c msting -n "__fish_msting_using_subcommand encryption-keys; and __fish_seen_subcommand_from help" -f -a "status" -d 'Key versions, the last rotation, and the oldest version that still decrypts'
complete -c msting -n "__fish_msting_using_subcommand encryption-keys; and __fish_seen_subcommand_from help" -f -a "rotate" -d 'Make a new key version: new data uses it, old data still decrypts'
complete -c msting -n "__fish_msting_using_subcommand encryption-keys; and __fish_seen_subcommand_from help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c msting -n "__fish_msting_using_subcommand secrets; and not __fish_seen_subcommand_from rotate help" -l config -d 'The stack\'s config file [default: INSTALL_DIR/conf/config.yml]' -r -F
complete -c msting -n "__fish_msting_using_subcommand secrets; and not __fish_seen_subcommand_from rotate help" -l install-dir -d 'Where the stack is installed [default: /opt/sting-ce]' -r -F
complete -c msting -n "__fish_msting_using_subcommand secrets; and not __fish_seen_subcommand_from rotate help" -l json -d 'Print machine-readable JSON on stdout'
complete -c msting -n "__fish_msting_using_subcommand secrets; and not __fish_seen_subcommand_from rotate help" -s y -l yes -d 'Answer yes to every confirmation (for scripts)'
complete -c msting -n "__fish_msting_using_subcommand secrets; and not __fish_seen_subcommand_from rotate help" -s q -l quiet -d 'Print only errors'
complete -c msting -n "__fish_msting_using_subcommand secrets; and not __fish_seen_subcommand_from rotate help" -s v -l verbose -d 'Print more detail (repeat for more)'
complete -c msting -n "__fish_msting_using_subcommand secrets; and not __fish_seen_subcommand_from rotate help" -l no-color -d 'Never colour the output (also: the NO_COLOR environment variable)'
complete -c msting -n "__fish_msting_using_subcommand secrets; and not __fish_seen_subcommand_from rotate help" -s h -l help -d 'Print help'
complete -c msting -n "__fish_msting_using_subcommand secrets; and not __fish_seen_subcommand_from rotate help" -s V -l version -d 'Print version'
complete -c msting -n "__fish_msting_using_subcommand secrets; and not __fish_seen_subcommand_from rotate help" -f -a "rotate" -d 'Replace a generated secret: `database` (stingd\'s database login, changed in PostgreSQL and Vault together), `session-key`, `cookie-key`'
complete -c msting -n "__fish_msting_using_subcommand secrets; and not __fish_seen_subcommand_from rotate help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c msting -n "__fish_msting_using_subcommand secrets; and __fish_seen_subcommand_from rotate" -l settle -d 'How long running services get to take up a new database login before the previous one is retired (they look every 5 seconds)' -r
complete -c msting -n "__fish_msting_using_subcommand secrets; and __fish_seen_subcommand_from rotate" -l config -d 'The stack\'s config file [default: INSTALL_DIR/conf/config.yml]' -r -F
complete -c msting -n "__fish_msting_using_subcommand secrets; and __fish_seen_subcommand_from rotate" -l install-dir -d 'Where the stack is installed [default: /opt/sting-ce]' -r -F
complete -c msting -n "__fish_msting_using_subcommand secrets; and __fish_seen_subcommand_from rotate" -l json -d 'Print machine-readable JSON on stdout'
complete -c msting -n "__fish_msting_using_subcommand secrets; and __fish_seen_subcommand_from rotate" -s y -l yes -d 'Answer yes to every confirmation (for scripts)'
complete -c msting -n "__fish_msting_using_subcommand secrets; and __fish_seen_subcommand_from rotate" -s q -l quiet -d 'Print only errors'
complete -c msting -n "__fish_msting_using_subcommand secrets; and __fish_seen_subcommand_from rotate" -s v -l verbose -d 'Print more detail (repeat for more)'
complete -c msting -n "__fish_msting_using_subcommand secrets; and __fish_seen_subcommand_from rotate" -l no-color -d 'Never colour the output (also: the NO_COLOR environment variable)'
complete -c msting -n "__fish_msting_using_subcommand secrets; and __fish_seen_subcommand_from rotate" -s h -l help -d 'Print help'
complete -c msting -n "__fish_msting_using_subcommand secrets; and __fish_seen_subcommand_from rotate" -s V -l version -d 'Print version'
complete -c msting -n "__fish_msting_using_subcommand secrets; and __fish_seen_subcommand_from help" -f -a "rotate" -d 'Replace a generated secret: `database` (stingd\'s database login, changed in PostgreSQL and Vault together), `session-key`, `cookie-key`'
complete -c msting -n "__fish_msting_using_subcommand secrets; and __fish_seen_subcommand_from help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c msting -n "__fish_msting_using_subcommand setup-ssl" -l export-ca -d 'Write the local CA\'s root (never its key) and how to trust it into DIR' -r -F
complete -c msting -n "__fish_msting_using_subcommand setup-ssl" -l cert -d 'Your own certificate (PEM), checked before use' -r -F
complete -c msting -n "__fish_msting_using_subcommand setup-ssl" -l key -d 'Its private key (PEM)' -r -F
complete -c msting -n "__fish_msting_using_subcommand setup-ssl" -l chain -d 'The intermediate certificates, if not already in --cert' -r -F
complete -c msting -n "__fish_msting_using_subcommand setup-ssl" -l address -d 'An address to put in the local CA\'s certificate (repeatable; default: the host\'s own)' -r
complete -c msting -n "__fish_msting_using_subcommand setup-ssl" -l domain -d 'The domain to certify (default: system.domain)' -r
complete -c msting -n "__fish_msting_using_subcommand setup-ssl" -l email -d 'Contact address for the ACME account (default: tls.acme.email)' -r
complete -c msting -n "__fish_msting_using_subcommand setup-ssl" -l acme-directory -d 'The ACME directory (default: tls.acme.directory_url)' -r
complete -c msting -n "__fish_msting_using_subcommand setup-ssl" -l acme-ca-root -d 'A root to trust for the ACME server\'s HTTPS (a private or test CA)' -r -F
complete -c msting -n "__fish_msting_using_subcommand setup-ssl" -l config -d 'The stack\'s config file [default: INSTALL_DIR/conf/config.yml]' -r -F
complete -c msting -n "__fish_msting_using_subcommand setup-ssl" -l install-dir -d 'Where the stack is installed [default: /opt/sting-ce]' -r -F
complete -c msting -n "__fish_msting_using_subcommand setup-ssl" -l self-signed -d 'A certificate from the local CA (made on first use, name-constrained to this install)'
complete -c msting -n "__fish_msting_using_subcommand setup-ssl" -l new-ca -d 'Make a new local CA even if there is one (its root must then be trusted again)'
complete -c msting -n "__fish_msting_using_subcommand setup-ssl" -l renew -d 'Renew what is due (a third of its lifetime left): quiet otherwise, for cron'
complete -c msting -n "__fish_msting_using_subcommand setup-ssl" -l acme -d 'A certificate from an ACME CA (Let\'s Encrypt by default) by HTTP-01 on stingd\'s HTTP port'
complete -c msting -n "__fish_msting_using_subcommand setup-ssl" -l skip-dns-check -d 'Do not check that the domain resolves before ordering'
complete -c msting -n "__fish_msting_using_subcommand setup-ssl" -l json -d 'Print machine-readable JSON on stdout'
complete -c msting -n "__fish_msting_using_subcommand setup-ssl" -s y -l yes -d 'Answer yes to every confirmation (for scripts)'
complete -c msting -n "__fish_msting_using_subcommand setup-ssl" -s q -l quiet -d 'Print only errors'
complete -c msting -n "__fish_msting_using_subcommand setup-ssl" -s v -l verbose -d 'Print more detail (repeat for more)'
complete -c msting -n "__fish_msting_using_subcommand setup-ssl" -l no-color -d 'Never colour the output (also: the NO_COLOR environment variable)'
complete -c msting -n "__fish_msting_using_subcommand setup-ssl" -s h -l help -d 'Print help'
complete -c msting -n "__fish_msting_using_subcommand setup-ssl" -s V -l version -d 'Print version'
complete -c msting -n "__fish_msting_using_subcommand certs; and not __fish_seen_subcommand_from status help" -l config -d 'The stack\'s config file [default: INSTALL_DIR/conf/config.yml]' -r -F
complete -c msting -n "__fish_msting_using_subcommand certs; and not __fish_seen_subcommand_from status help" -l install-dir -d 'Where the stack is installed [default: /opt/sting-ce]' -r -F
complete -c msting -n "__fish_msting_using_subcommand certs; and not __fish_seen_subcommand_from status help" -l json -d 'Print machine-readable JSON on stdout'
complete -c msting -n "__fish_msting_using_subcommand certs; and not __fish_seen_subcommand_from status help" -s y -l yes -d 'Answer yes to every confirmation (for scripts)'
complete -c msting -n "__fish_msting_using_subcommand certs; and not __fish_seen_subcommand_from status help" -s q -l quiet -d 'Print only errors'
complete -c msting -n "__fish_msting_using_subcommand certs; and not __fish_seen_subcommand_from status help" -s v -l verbose -d 'Print more detail (repeat for more)'
complete -c msting -n "__fish_msting_using_subcommand certs; and not __fish_seen_subcommand_from status help" -l no-color -d 'Never colour the output (also: the NO_COLOR environment variable)'
complete -c msting -n "__fish_msting_using_subcommand certs; and not __fish_seen_subcommand_from status help" -s h -l help -d 'Print help'
complete -c msting -n "__fish_msting_using_subcommand certs; and not __fish_seen_subcommand_from status help" -s V -l version -d 'Print version'
complete -c msting -n "__fish_msting_using_subcommand certs; and not __fish_seen_subcommand_from status help" -f -a "status" -d 'Issuer, names, expiry and lifetime left of the installed certificate, the local CA, and the certificate stingd is serving'
complete -c msting -n "__fish_msting_using_subcommand certs; and not __fish_seen_subcommand_from status help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c msting -n "__fish_msting_using_subcommand certs; and __fish_seen_subcommand_from status" -l address -d 'Where stingd\'s HTTPS port answers (default: services.stingd.https_port on system.bind_address, or 127.0.0.1 when it binds every address)' -r
complete -c msting -n "__fish_msting_using_subcommand certs; and __fish_seen_subcommand_from status" -l config -d 'The stack\'s config file [default: INSTALL_DIR/conf/config.yml]' -r -F
complete -c msting -n "__fish_msting_using_subcommand certs; and __fish_seen_subcommand_from status" -l install-dir -d 'Where the stack is installed [default: /opt/sting-ce]' -r -F
complete -c msting -n "__fish_msting_using_subcommand certs; and __fish_seen_subcommand_from status" -l json -d 'Print machine-readable JSON on stdout'
complete -c msting -n "__fish_msting_using_subcommand certs; and __fish_seen_subcommand_from status" -s y -l yes -d 'Answer yes to every confirmation (for scripts)'
complete -c msting -n "__fish_msting_using_subcommand certs; and __fish_seen_subcommand_from status" -s q -l quiet -d 'Print only errors'
complete -c msting -n "__fish_msting_using_subcommand certs; and __fish_seen_subcommand_from status" -s v -l verbose -d 'Print more detail (repeat for more)'
complete -c msting -n "__fish_msting_using_subcommand certs; and __fish_seen_subcommand_from status" -l no-color -d 'Never colour the output (also: the NO_COLOR environment variable)'
complete -c msting -n "__fish_msting_using_subcommand certs; and __fish_seen_subcommand_from status" -s h -l help -d 'Print help'
complete -c msting -n "__fish_msting_using_subcommand certs; and __fish_seen_subcommand_from status" -s V -l version -d 'Print version'
complete -c msting -n "__fish_msting_using_subcommand certs; and __fish_seen_subcommand_from help" -f -a "status" -d 'Issuer, names, expiry and lifetime left of the installed certificate, the local CA, and the certificate stingd is serving'
complete -c msting -n "__fish_msting_using_subcommand certs; and __fish_seen_subcommand_from help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c msting -n "__fish_msting_using_subcommand preflight" -l skip -d 'Skip a check (repeatable): root, docker, resources, disk, ports, gpu' -r -f -a "root\t''
docker\t''
resources\t''
disk\t''
ports\t''
gpu\t''"
complete -c msting -n "__fish_msting_using_subcommand preflight" -l config -d 'The stack\'s config file [default: INSTALL_DIR/conf/config.yml]' -r -F
complete -c msting -n "__fish_msting_using_subcommand preflight" -l install-dir -d 'Where the stack is installed [default: /opt/sting-ce]' -r -F
complete -c msting -n "__fish_msting_using_subcommand preflight" -l json -d 'Print machine-readable JSON on stdout'
complete -c msting -n "__fish_msting_using_subcommand preflight" -s y -l yes -d 'Answer yes to every confirmation (for scripts)'
complete -c msting -n "__fish_msting_using_subcommand preflight" -s q -l quiet -d 'Print only errors'
complete -c msting -n "__fish_msting_using_subcommand preflight" -s v -l verbose -d 'Print more detail (repeat for more)'
complete -c msting -n "__fish_msting_using_subcommand preflight" -l no-color -d 'Never colour the output (also: the NO_COLOR environment variable)'
complete -c msting -n "__fish_msting_using_subcommand preflight" -s h -l help -d 'Print help'
complete -c msting -n "__fish_msting_using_subcommand preflight" -s V -l version -d 'Print version'
complete -c msting -n "__fish_msting_using_subcommand check-ports" -l config -d 'The stack\'s config file [default: INSTALL_DIR/conf/config.yml]' -r -F
complete -c msting -n "__fish_msting_using_subcommand check-ports" -l install-dir -d 'Where the stack is installed [default: /opt/sting-ce]' -r -F
complete -c msting -n "__fish_msting_using_subcommand check-ports" -l json -d 'Print machine-readable JSON on stdout'
complete -c msting -n "__fish_msting_using_subcommand check-ports" -s y -l yes -d 'Answer yes to every confirmation (for scripts)'
complete -c msting -n "__fish_msting_using_subcommand check-ports" -s q -l quiet -d 'Print only errors'
complete -c msting -n "__fish_msting_using_subcommand check-ports" -s v -l verbose -d 'Print more detail (repeat for more)'
complete -c msting -n "__fish_msting_using_subcommand check-ports" -l no-color -d 'Never colour the output (also: the NO_COLOR environment variable)'
complete -c msting -n "__fish_msting_using_subcommand check-ports" -s h -l help -d 'Print help'
complete -c msting -n "__fish_msting_using_subcommand check-ports" -s V -l version -d 'Print version'
complete -c msting -n "__fish_msting_using_subcommand stack; and not __fish_seen_subcommand_from compose spec help" -l config -d 'The stack\'s config file [default: INSTALL_DIR/conf/config.yml]' -r -F
complete -c msting -n "__fish_msting_using_subcommand stack; and not __fish_seen_subcommand_from compose spec help" -l install-dir -d 'Where the stack is installed [default: /opt/sting-ce]' -r -F
complete -c msting -n "__fish_msting_using_subcommand stack; and not __fish_seen_subcommand_from compose spec help" -l json -d 'Print machine-readable JSON on stdout'
complete -c msting -n "__fish_msting_using_subcommand stack; and not __fish_seen_subcommand_from compose spec help" -s y -l yes -d 'Answer yes to every confirmation (for scripts)'
complete -c msting -n "__fish_msting_using_subcommand stack; and not __fish_seen_subcommand_from compose spec help" -s q -l quiet -d 'Print only errors'
complete -c msting -n "__fish_msting_using_subcommand stack; and not __fish_seen_subcommand_from compose spec help" -s v -l verbose -d 'Print more detail (repeat for more)'
complete -c msting -n "__fish_msting_using_subcommand stack; and not __fish_seen_subcommand_from compose spec help" -l no-color -d 'Never colour the output (also: the NO_COLOR environment variable)'
complete -c msting -n "__fish_msting_using_subcommand stack; and not __fish_seen_subcommand_from compose spec help" -s h -l help -d 'Print help'
complete -c msting -n "__fish_msting_using_subcommand stack; and not __fish_seen_subcommand_from compose spec help" -s V -l version -d 'Print version'
complete -c msting -n "__fish_msting_using_subcommand stack; and not __fish_seen_subcommand_from compose spec help" -f -a "compose" -d 'Print the reference compose file for this config (to read or adapt; not an installer)'
complete -c msting -n "__fish_msting_using_subcommand stack; and not __fish_seen_subcommand_from compose spec help" -f -a "spec" -d 'Print each service\'s spec and its hash (`--json` for all of it)'
complete -c msting -n "__fish_msting_using_subcommand stack; and not __fish_seen_subcommand_from compose spec help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c msting -n "__fish_msting_using_subcommand stack; and __fish_seen_subcommand_from compose" -l config -d 'The stack\'s config file [default: INSTALL_DIR/conf/config.yml]' -r -F
complete -c msting -n "__fish_msting_using_subcommand stack; and __fish_seen_subcommand_from compose" -l install-dir -d 'Where the stack is installed [default: /opt/sting-ce]' -r -F
complete -c msting -n "__fish_msting_using_subcommand stack; and __fish_seen_subcommand_from compose" -l json -d 'Print machine-readable JSON on stdout'
complete -c msting -n "__fish_msting_using_subcommand stack; and __fish_seen_subcommand_from compose" -s y -l yes -d 'Answer yes to every confirmation (for scripts)'
complete -c msting -n "__fish_msting_using_subcommand stack; and __fish_seen_subcommand_from compose" -s q -l quiet -d 'Print only errors'
complete -c msting -n "__fish_msting_using_subcommand stack; and __fish_seen_subcommand_from compose" -s v -l verbose -d 'Print more detail (repeat for more)'
complete -c msting -n "__fish_msting_using_subcommand stack; and __fish_seen_subcommand_from compose" -l no-color -d 'Never colour the output (also: the NO_COLOR environment variable)'
complete -c msting -n "__fish_msting_using_subcommand stack; and __fish_seen_subcommand_from compose" -s h -l help -d 'Print help'
complete -c msting -n "__fish_msting_using_subcommand stack; and __fish_seen_subcommand_from compose" -s V -l version -d 'Print version'
complete -c msting -n "__fish_msting_using_subcommand stack; and __fish_seen_subcommand_from spec" -l config -d 'The stack\'s config file [default: INSTALL_DIR/conf/config.yml]' -r -F
complete -c msting -n "__fish_msting_using_subcommand stack; and __fish_seen_subcommand_from spec" -l install-dir -d 'Where the stack is installed [default: /opt/sting-ce]' -r -F
complete -c msting -n "__fish_msting_using_subcommand stack; and __fish_seen_subcommand_from spec" -l json -d 'Print machine-readable JSON on stdout'
complete -c msting -n "__fish_msting_using_subcommand stack; and __fish_seen_subcommand_from spec" -s y -l yes -d 'Answer yes to every confirmation (for scripts)'
complete -c msting -n "__fish_msting_using_subcommand stack; and __fish_seen_subcommand_from spec" -s q -l quiet -d 'Print only errors'
complete -c msting -n "__fish_msting_using_subcommand stack; and __fish_seen_subcommand_from spec" -s v -l verbose -d 'Print more detail (repeat for more)'
complete -c msting -n "__fish_msting_using_subcommand stack; and __fish_seen_subcommand_from spec" -l no-color -d 'Never colour the output (also: the NO_COLOR environment variable)'
complete -c msting -n "__fish_msting_using_subcommand stack; and __fish_seen_subcommand_from spec" -s h -l help -d 'Print help'
complete -c msting -n "__fish_msting_using_subcommand stack; and __fish_seen_subcommand_from spec" -s V -l version -d 'Print version'
complete -c msting -n "__fish_msting_using_subcommand stack; and __fish_seen_subcommand_from help" -f -a "compose" -d 'Print the reference compose file for this config (to read or adapt; not an installer)'
complete -c msting -n "__fish_msting_using_subcommand stack; and __fish_seen_subcommand_from help" -f -a "spec" -d 'Print each service\'s spec and its hash (`--json` for all of it)'
complete -c msting -n "__fish_msting_using_subcommand stack; and __fish_seen_subcommand_from help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c msting -n "__fish_msting_using_subcommand models; and not __fish_seen_subcommand_from list import rm verify help" -l config -d 'The stack\'s config file [default: INSTALL_DIR/conf/config.yml]' -r -F
complete -c msting -n "__fish_msting_using_subcommand models; and not __fish_seen_subcommand_from list import rm verify help" -l install-dir -d 'Where the stack is installed [default: /opt/sting-ce]' -r -F
complete -c msting -n "__fish_msting_using_subcommand models; and not __fish_seen_subcommand_from list import rm verify help" -l json -d 'Print machine-readable JSON on stdout'
complete -c msting -n "__fish_msting_using_subcommand models; and not __fish_seen_subcommand_from list import rm verify help" -s y -l yes -d 'Answer yes to every confirmation (for scripts)'
complete -c msting -n "__fish_msting_using_subcommand models; and not __fish_seen_subcommand_from list import rm verify help" -s q -l quiet -d 'Print only errors'
complete -c msting -n "__fish_msting_using_subcommand models; and not __fish_seen_subcommand_from list import rm verify help" -s v -l verbose -d 'Print more detail (repeat for more)'
complete -c msting -n "__fish_msting_using_subcommand models; and not __fish_seen_subcommand_from list import rm verify help" -l no-color -d 'Never colour the output (also: the NO_COLOR environment variable)'
complete -c msting -n "__fish_msting_using_subcommand models; and not __fish_seen_subcommand_from list import rm verify help" -s h -l help -d 'Print help'
complete -c msting -n "__fish_msting_using_subcommand models; and not __fish_seen_subcommand_from list import rm verify help" -s V -l version -d 'Print version'
complete -c msting -n "__fish_msting_using_subcommand models; and not __fish_seen_subcommand_from list import rm verify help" -f -a "list" -d 'Each model file: architecture, size, quantisation, who uses it'
complete -c msting -n "__fish_msting_using_subcommand models; and not __fish_seen_subcommand_from list import rm verify help" -f -a "import" -d 'Copy a GGUF file into the models folder (checked first)'
complete -c msting -n "__fish_msting_using_subcommand models; and not __fish_seen_subcommand_from list import rm verify help" -f -a "rm" -d 'Remove a model file (refused while the config uses it)'
complete -c msting -n "__fish_msting_using_subcommand models; and not __fish_seen_subcommand_from list import rm verify help" -f -a "verify" -d 'Check each model\'s sha256 against the config and the models STING knows'
complete -c msting -n "__fish_msting_using_subcommand models; and not __fish_seen_subcommand_from list import rm verify help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c msting -n "__fish_msting_using_subcommand models; and __fish_seen_subcommand_from list" -l config -d 'The stack\'s config file [default: INSTALL_DIR/conf/config.yml]' -r -F
complete -c msting -n "__fish_msting_using_subcommand models; and __fish_seen_subcommand_from list" -l install-dir -d 'Where the stack is installed [default: /opt/sting-ce]' -r -F
complete -c msting -n "__fish_msting_using_subcommand models; and __fish_seen_subcommand_from list" -l json -d 'Print machine-readable JSON on stdout'
complete -c msting -n "__fish_msting_using_subcommand models; and __fish_seen_subcommand_from list" -s y -l yes -d 'Answer yes to every confirmation (for scripts)'
complete -c msting -n "__fish_msting_using_subcommand models; and __fish_seen_subcommand_from list" -s q -l quiet -d 'Print only errors'
complete -c msting -n "__fish_msting_using_subcommand models; and __fish_seen_subcommand_from list" -s v -l verbose -d 'Print more detail (repeat for more)'
complete -c msting -n "__fish_msting_using_subcommand models; and __fish_seen_subcommand_from list" -l no-color -d 'Never colour the output (also: the NO_COLOR environment variable)'
complete -c msting -n "__fish_msting_using_subcommand models; and __fish_seen_subcommand_from list" -s h -l help -d 'Print help'
complete -c msting -n "__fish_msting_using_subcommand models; and __fish_seen_subcommand_from list" -s V -l version -d 'Print version'
complete -c msting -n "__fish_msting_using_subcommand models; and __fish_seen_subcommand_from import" -l name -d 'The file name to give it there' -r
complete -c msting -n "__fish_msting_using_subcommand models; and __fish_seen_subcommand_from import" -l config -d 'The stack\'s config file [default: INSTALL_DIR/conf/config.yml]' -r -F
complete -c msting -n "__fish_msting_using_subcommand models; and __fish_seen_subcommand_from import" -l install-dir -d 'Where the stack is installed [default: /opt/sting-ce]' -r -F
complete -c msting -n "__fish_msting_using_subcommand models; and __fish_seen_subcommand_from import" -l force -d 'Replace a file of that name'
complete -c msting -n "__fish_msting_using_subcommand models; and __fish_seen_subcommand_from import" -l json -d 'Print machine-readable JSON on stdout'
complete -c msting -n "__fish_msting_using_subcommand models; and __fish_seen_subcommand_from import" -s y -l yes -d 'Answer yes to every confirmation (for scripts)'
complete -c msting -n "__fish_msting_using_subcommand models; and __fish_seen_subcommand_from import" -s q -l quiet -d 'Print only errors'
complete -c msting -n "__fish_msting_using_subcommand models; and __fish_seen_subcommand_from import" -s v -l verbose -d 'Print more detail (repeat for more)'
complete -c msting -n "__fish_msting_using_subcommand models; and __fish_seen_subcommand_from import" -l no-color -d 'Never colour the output (also: the NO_COLOR environment variable)'
complete -c msting -n "__fish_msting_using_subcommand models; and __fish_seen_subcommand_from import" -s h -l help -d 'Print help'
complete -c msting -n "__fish_msting_using_subcommand models; and __fish_seen_subcommand_from import" -s V -l version -d 'Print version'
complete -c msting -n "__fish_msting_using_subcommand models; and __fish_seen_subcommand_from rm" -l config -d 'The stack\'s config file [default: INSTALL_DIR/conf/config.yml]' -r -F
complete -c msting -n "__fish_msting_using_subcommand models; and __fish_seen_subcommand_from rm" -l install-dir -d 'Where the stack is installed [default: /opt/sting-ce]' -r -F
complete -c msting -n "__fish_msting_using_subcommand models; and __fish_seen_subcommand_from rm" -l force
complete -c msting -n "__fish_msting_using_subcommand models; and __fish_seen_subcommand_from rm" -l json -d 'Print machine-readable JSON on stdout'
complete -c msting -n "__fish_msting_using_subcommand models; and __fish_seen_subcommand_from rm" -s y -l yes -d 'Answer yes to every confirmation (for scripts)'
complete -c msting -n "__fish_msting_using_subcommand models; and __fish_seen_subcommand_from rm" -s q -l quiet -d 'Print only errors'
complete -c msting -n "__fish_msting_using_subcommand models; and __fish_seen_subcommand_from rm" -s v -l verbose -d 'Print more detail (repeat for more)'
complete -c msting -n "__fish_msting_using_subcommand models; and __fish_seen_subcommand_from rm" -l no-color -d 'Never colour the output (also: the NO_COLOR environment variable)'
complete -c msting -n "__fish_msting_using_subcommand models; and __fish_seen_subcommand_from rm" -s h -l help -d 'Print help'
complete -c msting -n "__fish_msting_using_subcommand models; and __fish_seen_subcommand_from rm" -s V -l version -d 'Print version'
complete -c msting -n "__fish_msting_using_subcommand models; and __fish_seen_subcommand_from verify" -l config -d 'The stack\'s config file [default: INSTALL_DIR/conf/config.yml]' -r -F
complete -c msting -n "__fish_msting_using_subcommand models; and __fish_seen_subcommand_from verify" -l install-dir -d 'Where the stack is installed [default: /opt/sting-ce]' -r -F
complete -c msting -n "__fish_msting_using_subcommand models; and __fish_seen_subcommand_from verify" -l json -d 'Print machine-readable JSON on stdout'
complete -c msting -n "__fish_msting_using_subcommand models; and __fish_seen_subcommand_from verify" -s y -l yes -d 'Answer yes to every confirmation (for scripts)'
complete -c msting -n "__fish_msting_using_subcommand models; and __fish_seen_subcommand_from verify" -s q -l quiet -d 'Print only errors'
complete -c msting -n "__fish_msting_using_subcommand models; and __fish_seen_subcommand_from verify" -s v -l verbose -d 'Print more detail (repeat for more)'
complete -c msting -n "__fish_msting_using_subcommand models; and __fish_seen_subcommand_from verify" -l no-color -d 'Never colour the output (also: the NO_COLOR environment variable)'
complete -c msting -n "__fish_msting_using_subcommand models; and __fish_seen_subcommand_from verify" -s h -l help -d 'Print help'
complete -c msting -n "__fish_msting_using_subcommand models; and __fish_seen_subcommand_from verify" -s V -l version -d 'Print version'
complete -c msting -n "__fish_msting_using_subcommand models; and __fish_seen_subcommand_from help" -f -a "list" -d 'Each model file: architecture, size, quantisation, who uses it'
complete -c msting -n "__fish_msting_using_subcommand models; and __fish_seen_subcommand_from help" -f -a "import" -d 'Copy a GGUF file into the models folder (checked first)'
complete -c msting -n "__fish_msting_using_subcommand models; and __fish_seen_subcommand_from help" -f -a "rm" -d 'Remove a model file (refused while the config uses it)'
complete -c msting -n "__fish_msting_using_subcommand models; and __fish_seen_subcommand_from help" -f -a "verify" -d 'Check each model\'s sha256 against the config and the models STING knows'
complete -c msting -n "__fish_msting_using_subcommand models; and __fish_seen_subcommand_from help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c msting -n "__fish_msting_using_subcommand uninstall" -l config -d 'The stack\'s config file [default: INSTALL_DIR/conf/config.yml]' -r -F
complete -c msting -n "__fish_msting_using_subcommand uninstall" -l install-dir -d 'Where the stack is installed [default: /opt/sting-ce]' -r -F
complete -c msting -n "__fish_msting_using_subcommand uninstall" -l purge -d 'Also remove the stack\'s volumes: databases, Vault\'s storage, documents. Asks unless --yes'
complete -c msting -n "__fish_msting_using_subcommand uninstall" -l json -d 'Print machine-readable JSON on stdout'
complete -c msting -n "__fish_msting_using_subcommand uninstall" -s y -l yes -d 'Answer yes to every confirmation (for scripts)'
complete -c msting -n "__fish_msting_using_subcommand uninstall" -s q -l quiet -d 'Print only errors'
complete -c msting -n "__fish_msting_using_subcommand uninstall" -s v -l verbose -d 'Print more detail (repeat for more)'
complete -c msting -n "__fish_msting_using_subcommand uninstall" -l no-color -d 'Never colour the output (also: the NO_COLOR environment variable)'
complete -c msting -n "__fish_msting_using_subcommand uninstall" -s h -l help -d 'Print help'
complete -c msting -n "__fish_msting_using_subcommand uninstall" -s V -l version -d 'Print version'
complete -c msting -n "__fish_msting_using_subcommand reset-auth" -l config -d 'The stack\'s config file [default: INSTALL_DIR/conf/config.yml]' -r -F
complete -c msting -n "__fish_msting_using_subcommand reset-auth" -l install-dir -d 'Where the stack is installed [default: /opt/sting-ce]' -r -F
complete -c msting -n "__fish_msting_using_subcommand reset-auth" -l json -d 'Print machine-readable JSON on stdout'
complete -c msting -n "__fish_msting_using_subcommand reset-auth" -s y -l yes -d 'Answer yes to every confirmation (for scripts)'
complete -c msting -n "__fish_msting_using_subcommand reset-auth" -s q -l quiet -d 'Print only errors'
complete -c msting -n "__fish_msting_using_subcommand reset-auth" -s v -l verbose -d 'Print more detail (repeat for more)'
complete -c msting -n "__fish_msting_using_subcommand reset-auth" -l no-color -d 'Never colour the output (also: the NO_COLOR environment variable)'
complete -c msting -n "__fish_msting_using_subcommand reset-auth" -s h -l help -d 'Print help'
complete -c msting -n "__fish_msting_using_subcommand reset-auth" -s V -l version -d 'Print version'
complete -c msting -n "__fish_msting_using_subcommand backup; and not __fish_seen_subcommand_from list verify prune help" -l recipient -d 'An age recipient (age1... or an SSH public key); repeatable. Default: backup.recipients' -r
complete -c msting -n "__fish_msting_using_subcommand backup; and not __fish_seen_subcommand_from list verify prune help" -l recipients-file -d 'A file of recipients, one per line (`#` comments)' -r -F
complete -c msting -n "__fish_msting_using_subcommand backup; and not __fish_seen_subcommand_from list verify prune help" -l passphrase-file -d 'Encrypt with the passphrase in this file (first line) instead of recipients' -r -F
complete -c msting -n "__fish_msting_using_subcommand backup; and not __fish_seen_subcommand_from list verify prune help" -l output -d 'The folder to write into [default: paths.backup_dir]' -r -F
complete -c msting -n "__fish_msting_using_subcommand backup; and not __fish_seen_subcommand_from list verify prune help" -l config -d 'The stack\'s config file [default: INSTALL_DIR/conf/config.yml]' -r -F
complete -c msting -n "__fish_msting_using_subcommand backup; and not __fish_seen_subcommand_from list verify prune help" -l install-dir -d 'Where the stack is installed [default: /opt/sting-ce]' -r -F
complete -c msting -n "__fish_msting_using_subcommand backup; and not __fish_seen_subcommand_from list verify prune help" -l encrypt -d 'Encrypt (the default when backup.encrypt is true)'
complete -c msting -n "__fish_msting_using_subcommand backup; and not __fish_seen_subcommand_from list verify prune help" -l no-encrypt -d 'Write a plain backup: private keys and the unseal key are left out'
complete -c msting -n "__fish_msting_using_subcommand backup; and not __fish_seen_subcommand_from list verify prune help" -l json -d 'Print machine-readable JSON on stdout'
complete -c msting -n "__fish_msting_using_subcommand backup; and not __fish_seen_subcommand_from list verify prune help" -s y -l yes -d 'Answer yes to every confirmation (for scripts)'
complete -c msting -n "__fish_msting_using_subcommand backup; and not __fish_seen_subcommand_from list verify prune help" -s q -l quiet -d 'Print only errors'
complete -c msting -n "__fish_msting_using_subcommand backup; and not __fish_seen_subcommand_from list verify prune help" -s v -l verbose -d 'Print more detail (repeat for more)'
complete -c msting -n "__fish_msting_using_subcommand backup; and not __fish_seen_subcommand_from list verify prune help" -l no-color -d 'Never colour the output (also: the NO_COLOR environment variable)'
complete -c msting -n "__fish_msting_using_subcommand backup; and not __fish_seen_subcommand_from list verify prune help" -s h -l help -d 'Print help'
complete -c msting -n "__fish_msting_using_subcommand backup; and not __fish_seen_subcommand_from list verify prune help" -s V -l version -d 'Print version'
complete -c msting -n "__fish_msting_using_subcommand backup; and not __fish_seen_subcommand_from list verify prune help" -f -a "list" -d 'The backups in the backup folder, oldest first, from the manifests kept beside them'
complete -c msting -n "__fish_msting_using_subcommand backup; and not __fish_seen_subcommand_from list verify prune help" -f -a "verify" -d 'Decrypt and read a backup whole: every entry\'s checksum, the dumps through pg_restore'
complete -c msting -n "__fish_msting_using_subcommand backup; and not __fish_seen_subcommand_from list verify prune help" -f -a "prune" -d 'Remove the backups a retention policy does not keep (the newest of each period); without any --keep option, the policy is `backup.retention`'
complete -c msting -n "__fish_msting_using_subcommand backup; and not __fish_seen_subcommand_from list verify prune help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c msting -n "__fish_msting_using_subcommand backup; and __fish_seen_subcommand_from list" -l dir -r -F
complete -c msting -n "__fish_msting_using_subcommand backup; and __fish_seen_subcommand_from list" -l config -d 'The stack\'s config file [default: INSTALL_DIR/conf/config.yml]' -r -F
complete -c msting -n "__fish_msting_using_subcommand backup; and __fish_seen_subcommand_from list" -l install-dir -d 'Where the stack is installed [default: /opt/sting-ce]' -r -F
complete -c msting -n "__fish_msting_using_subcommand backup; and __fish_seen_subcommand_from list" -l json -d 'Print machine-readable JSON on stdout'
complete -c msting -n "__fish_msting_using_subcommand backup; and __fish_seen_subcommand_from list" -s y -l yes -d 'Answer yes to every confirmation (for scripts)'
complete -c msting -n "__fish_msting_using_subcommand backup; and __fish_seen_subcommand_from list" -s q -l quiet -d 'Print only errors'
complete -c msting -n "__fish_msting_using_subcommand backup; and __fish_seen_subcommand_from list" -s v -l verbose -d 'Print more detail (repeat for more)'
complete -c msting -n "__fish_msting_using_subcommand backup; and __fish_seen_subcommand_from list" -l no-color -d 'Never colour the output (also: the NO_COLOR environment variable)'
complete -c msting -n "__fish_msting_using_subcommand backup; and __fish_seen_subcommand_from list" -s h -l help -d 'Print help'
complete -c msting -n "__fish_msting_using_subcommand backup; and __fish_seen_subcommand_from list" -s V -l version -d 'Print version'
complete -c msting -n "__fish_msting_using_subcommand backup; and __fish_seen_subcommand_from verify" -l identity -d 'An age identity file (AGE-SECRET-KEY-1... lines, or an SSH private key)' -r -F
complete -c msting -n "__fish_msting_using_subcommand backup; and __fish_seen_subcommand_from verify" -l passphrase-file -d 'A file whose first line is the passphrase' -r -F
complete -c msting -n "__fish_msting_using_subcommand backup; and __fish_seen_subcommand_from verify" -l config -d 'The stack\'s config file [default: INSTALL_DIR/conf/config.yml]' -r -F
complete -c msting -n "__fish_msting_using_subcommand backup; and __fish_seen_subcommand_from verify" -l install-dir -d 'Where the stack is installed [default: /opt/sting-ce]' -r -F
complete -c msting -n "__fish_msting_using_subcommand backup; and __fish_seen_subcommand_from verify" -l json -d 'Print machine-readable JSON on stdout'
complete -c msting -n "__fish_msting_using_subcommand backup; and __fish_seen_subcommand_from verify" -s y -l yes -d 'Answer yes to every confirmation (for scripts)'
complete -c msting -n "__fish_msting_using_subcommand backup; and __fish_seen_subcommand_from verify" -s q -l quiet -d 'Print only errors'
complete -c msting -n "__fish_msting_using_subcommand backup; and __fish_seen_subcommand_from verify" -s v -l verbose -d 'Print more detail (repeat for more)'
complete -c msting -n "__fish_msting_using_subcommand backup; and __fish_seen_subcommand_from verify" -l no-color -d 'Never colour the output (also: the NO_COLOR environment variable)'
complete -c msting -n "__fish_msting_using_subcommand backup; and __fish_seen_subcommand_from verify" -s h -l help -d 'Print help'
complete -c msting -n "__fish_msting_using_subcommand backup; and __fish_seen_subcommand_from verify" -s V -l version -d 'Print version'
complete -c msting -n "__fish_msting_using_subcommand backup; and __fish_seen_subcommand_from prune" -l keep-last -r
complete -c msting -n "__fish_msting_using_subcommand backup; and __fish_seen_subcommand_from prune" -l keep-daily -r
complete -c msting -n "__fish_msting_using_subcommand backup; and __fish_seen_subcommand_from prune" -l keep-weekly -r
complete -c msting -n "__fish_msting_using_subcommand backup; and __fish_seen_subcommand_from prune" -l keep-monthly -r
complete -c msting -n "__fish_msting_using_subcommand backup; and __fish_seen_subcommand_from prune" -l dir -r -F
complete -c msting -n "__fish_msting_using_subcommand backup; and __fish_seen_subcommand_from prune" -l config -d 'The stack\'s config file [default: INSTALL_DIR/conf/config.yml]' -r -F
complete -c msting -n "__fish_msting_using_subcommand backup; and __fish_seen_subcommand_from prune" -l install-dir -d 'Where the stack is installed [default: /opt/sting-ce]' -r -F
complete -c msting -n "__fish_msting_using_subcommand backup; and __fish_seen_subcommand_from prune" -l dry-run -d 'Say what would be removed, and remove nothing'
complete -c msting -n "__fish_msting_using_subcommand backup; and __fish_seen_subcommand_from prune" -l json -d 'Print machine-readable JSON on stdout'
complete -c msting -n "__fish_msting_using_subcommand backup; and __fish_seen_subcommand_from prune" -s y -l yes -d 'Answer yes to every confirmation (for scripts)'
complete -c msting -n "__fish_msting_using_subcommand backup; and __fish_seen_subcommand_from prune" -s q -l quiet -d 'Print only errors'
complete -c msting -n "__fish_msting_using_subcommand backup; and __fish_seen_subcommand_from prune" -s v -l verbose -d 'Print more detail (repeat for more)'
complete -c msting -n "__fish_msting_using_subcommand backup; and __fish_seen_subcommand_from prune" -l no-color -d 'Never colour the output (also: the NO_COLOR environment variable)'
complete -c msting -n "__fish_msting_using_subcommand backup; and __fish_seen_subcommand_from prune" -s h -l help -d 'Print help'
complete -c msting -n "__fish_msting_using_subcommand backup; and __fish_seen_subcommand_from prune" -s V -l version -d 'Print version'
complete -c msting -n "__fish_msting_using_subcommand backup; and __fish_seen_subcommand_from help" -f -a "list" -d 'The backups in the backup folder, oldest first, from the manifests kept beside them'
complete -c msting -n "__fish_msting_using_subcommand backup; and __fish_seen_subcommand_from help" -f -a "verify" -d 'Decrypt and read a backup whole: every entry\'s checksum, the dumps through pg_restore'
complete -c msting -n "__fish_msting_using_subcommand backup; and __fish_seen_subcommand_from help" -f -a "prune" -d 'Remove the backups a retention policy does not keep (the newest of each period); without any --keep option, the policy is `backup.retention`'
complete -c msting -n "__fish_msting_using_subcommand backup; and __fish_seen_subcommand_from help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c msting -n "__fish_msting_using_subcommand restore" -l identity -d 'An age identity file (AGE-SECRET-KEY-1... lines, or an SSH private key)' -r -F
complete -c msting -n "__fish_msting_using_subcommand restore" -l passphrase-file -d 'A file whose first line is the passphrase' -r -F
complete -c msting -n "__fish_msting_using_subcommand restore" -l key-file -d 'Manual unseal mode: read the restored Vault\'s unseal shares from this file, one per line (else they are asked for)' -r -F
complete -c msting -n "__fish_msting_using_subcommand restore" -l bao -d 'OpenBao\'s `bao` binary, for the vault image [env: STING_BAO]' -r -F
complete -c msting -n "__fish_msting_using_subcommand restore" -l stingd -d 'The `stingd` binary, for the stingd image [env: STING_STINGD; default: beside msting]' -r -F
complete -c msting -n "__fish_msting_using_subcommand restore" -l llama-server -d 'llama.cpp\'s `llama-server` (its shared libraries beside it) [env: STING_LLAMA_SERVER]' -r -F
complete -c msting -n "__fish_msting_using_subcommand restore" -l config -d 'The stack\'s config file [default: INSTALL_DIR/conf/config.yml]' -r -F
complete -c msting -n "__fish_msting_using_subcommand restore" -l install-dir -d 'Where the stack is installed [default: /opt/sting-ce]' -r -F
complete -c msting -n "__fish_msting_using_subcommand restore" -l yes -d 'Do not ask before replacing the stack\'s data'
complete -c msting -n "__fish_msting_using_subcommand restore" -l keep-config -d 'Keep this install\'s config (project name, ports, domain); the backup\'s is written beside it as config.yml.from-backup'
complete -c msting -n "__fish_msting_using_subcommand restore" -l json -d 'Print machine-readable JSON on stdout'
complete -c msting -n "__fish_msting_using_subcommand restore" -s q -l quiet -d 'Print only errors'
complete -c msting -n "__fish_msting_using_subcommand restore" -s v -l verbose -d 'Print more detail (repeat for more)'
complete -c msting -n "__fish_msting_using_subcommand restore" -l no-color -d 'Never colour the output (also: the NO_COLOR environment variable)'
complete -c msting -n "__fish_msting_using_subcommand restore" -s h -l help -d 'Print help'
complete -c msting -n "__fish_msting_using_subcommand restore" -s V -l version -d 'Print version'
complete -c msting -n "__fish_msting_using_subcommand images; and not __fish_seen_subcommand_from list build pull base save load help" -l config -d 'The stack\'s config file [default: INSTALL_DIR/conf/config.yml]' -r -F
complete -c msting -n "__fish_msting_using_subcommand images; and not __fish_seen_subcommand_from list build pull base save load help" -l install-dir -d 'Where the stack is installed [default: /opt/sting-ce]' -r -F
complete -c msting -n "__fish_msting_using_subcommand images; and not __fish_seen_subcommand_from list build pull base save load help" -l json -d 'Print machine-readable JSON on stdout'
complete -c msting -n "__fish_msting_using_subcommand images; and not __fish_seen_subcommand_from list build pull base save load help" -s y -l yes -d 'Answer yes to every confirmation (for scripts)'
complete -c msting -n "__fish_msting_using_subcommand images; and not __fish_seen_subcommand_from list build pull base save load help" -s q -l quiet -d 'Print only errors'
complete -c msting -n "__fish_msting_using_subcommand images; and not __fish_seen_subcommand_from list build pull base save load help" -s v -l verbose -d 'Print more detail (repeat for more)'
complete -c msting -n "__fish_msting_using_subcommand images; and not __fish_seen_subcommand_from list build pull base save load help" -l no-color -d 'Never colour the output (also: the NO_COLOR environment variable)'
complete -c msting -n "__fish_msting_using_subcommand images; and not __fish_seen_subcommand_from list build pull base save load help" -s h -l help -d 'Print help'
complete -c msting -n "__fish_msting_using_subcommand images; and not __fish_seen_subcommand_from list build pull base save load help" -s V -l version -d 'Print version'
complete -c msting -n "__fish_msting_using_subcommand images; and not __fish_seen_subcommand_from list build pull base save load help" -f -a "list" -d 'Each service\'s image and whether this engine has it'
complete -c msting -n "__fish_msting_using_subcommand images; and not __fish_seen_subcommand_from list build pull base save load help" -f -a "build" -d 'Build the images whose recipe changed (all with a recipe, or those named); the image each replaces is kept as TAG-previous, to roll back to'
complete -c msting -n "__fish_msting_using_subcommand images; and not __fish_seen_subcommand_from list build pull base save load help" -f -a "pull" -d 'Pull the images of the services named (all when none) from their registry, whatever images.pull says; the image each replaces is kept as TAG-previous'
complete -c msting -n "__fish_msting_using_subcommand images; and not __fish_seen_subcommand_from list build pull base save load help" -f -a "base" -d 'Make the Debian base image every recipe builds on (debootstrap from this machine\'s apt mirror, with the security suite, every package upgraded), named by images.base'
complete -c msting -n "__fish_msting_using_subcommand images; and not __fish_seen_subcommand_from list build pull base save load help" -f -a "save" -d 'Write every image of the stack into one file, to carry to a host without a registry'
complete -c msting -n "__fish_msting_using_subcommand images; and not __fish_seen_subcommand_from list build pull base save load help" -f -a "load" -d 'Load images from a file made by `msting images save`'
complete -c msting -n "__fish_msting_using_subcommand images; and not __fish_seen_subcommand_from list build pull base save load help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c msting -n "__fish_msting_using_subcommand images; and __fish_seen_subcommand_from list" -l config -d 'The stack\'s config file [default: INSTALL_DIR/conf/config.yml]' -r -F
complete -c msting -n "__fish_msting_using_subcommand images; and __fish_seen_subcommand_from list" -l install-dir -d 'Where the stack is installed [default: /opt/sting-ce]' -r -F
complete -c msting -n "__fish_msting_using_subcommand images; and __fish_seen_subcommand_from list" -l json -d 'Print machine-readable JSON on stdout'
complete -c msting -n "__fish_msting_using_subcommand images; and __fish_seen_subcommand_from list" -s y -l yes -d 'Answer yes to every confirmation (for scripts)'
complete -c msting -n "__fish_msting_using_subcommand images; and __fish_seen_subcommand_from list" -s q -l quiet -d 'Print only errors'
complete -c msting -n "__fish_msting_using_subcommand images; and __fish_seen_subcommand_from list" -s v -l verbose -d 'Print more detail (repeat for more)'
complete -c msting -n "__fish_msting_using_subcommand images; and __fish_seen_subcommand_from list" -l no-color -d 'Never colour the output (also: the NO_COLOR environment variable)'
complete -c msting -n "__fish_msting_using_subcommand images; and __fish_seen_subcommand_from list" -s h -l help -d 'Print help'
complete -c msting -n "__fish_msting_using_subcommand images; and __fish_seen_subcommand_from list" -s V -l version -d 'Print version'
complete -c msting -n "__fish_msting_using_subcommand images; and __fish_seen_subcommand_from build" -l bao -d 'OpenBao\'s `bao` binary, for the vault image [env: STING_BAO]' -r -F
complete -c msting -n "__fish_msting_using_subcommand images; and __fish_seen_subcommand_from build" -l stingd -d 'The `stingd` binary, for the stingd image [env: STING_STINGD; default: beside msting]' -r -F
complete -c msting -n "__fish_msting_using_subcommand images; and __fish_seen_subcommand_from build" -l llama-server -d 'llama.cpp\'s `llama-server` (its shared libraries beside it) [env: STING_LLAMA_SERVER]' -r -F
complete -c msting -n "__fish_msting_using_subcommand images; and __fish_seen_subcommand_from build" -l config -d 'The stack\'s config file [default: INSTALL_DIR/conf/config.yml]' -r -F
complete -c msting -n "__fish_msting_using_subcommand images; and __fish_seen_subcommand_from build" -l install-dir -d 'Where the stack is installed [default: /opt/sting-ce]' -r -F
complete -c msting -n "__fish_msting_using_subcommand images; and __fish_seen_subcommand_from build" -l json -d 'Print machine-readable JSON on stdout'
complete -c msting -n "__fish_msting_using_subcommand images; and __fish_seen_subcommand_from build" -s y -l yes -d 'Answer yes to every confirmation (for scripts)'
complete -c msting -n "__fish_msting_using_subcommand images; and __fish_seen_subcommand_from build" -s q -l quiet -d 'Print only errors'
complete -c msting -n "__fish_msting_using_subcommand images; and __fish_seen_subcommand_from build" -s v -l verbose -d 'Print more detail (repeat for more)'
complete -c msting -n "__fish_msting_using_subcommand images; and __fish_seen_subcommand_from build" -l no-color -d 'Never colour the output (also: the NO_COLOR environment variable)'
complete -c msting -n "__fish_msting_using_subcommand images; and __fish_seen_subcommand_from build" -s h -l help -d 'Print help'
complete -c msting -n "__fish_msting_using_subcommand images; and __fish_seen_subcommand_from build" -s V -l version -d 'Print version'
complete -c msting -n "__fish_msting_using_subcommand images; and __fish_seen_subcommand_from pull" -l config -d 'The stack\'s config file [default: INSTALL_DIR/conf/config.yml]' -r -F
complete -c msting -n "__fish_msting_using_subcommand images; and __fish_seen_subcommand_from pull" -l install-dir -d 'Where the stack is installed [default: /opt/sting-ce]' -r -F
complete -c msting -n "__fish_msting_using_subcommand images; and __fish_seen_subcommand_from pull" -l json -d 'Print machine-readable JSON on stdout'
complete -c msting -n "__fish_msting_using_subcommand images; and __fish_seen_subcommand_from pull" -s y -l yes -d 'Answer yes to every confirmation (for scripts)'
complete -c msting -n "__fish_msting_using_subcommand images; and __fish_seen_subcommand_from pull" -s q -l quiet -d 'Print only errors'
complete -c msting -n "__fish_msting_using_subcommand images; and __fish_seen_subcommand_from pull" -s v -l verbose -d 'Print more detail (repeat for more)'
complete -c msting -n "__fish_msting_using_subcommand images; and __fish_seen_subcommand_from pull" -l no-color -d 'Never colour the output (also: the NO_COLOR environment variable)'
complete -c msting -n "__fish_msting_using_subcommand images; and __fish_seen_subcommand_from pull" -s h -l help -d 'Print help'
complete -c msting -n "__fish_msting_using_subcommand images; and __fish_seen_subcommand_from pull" -s V -l version -d 'Print version'
complete -c msting -n "__fish_msting_using_subcommand images; and __fish_seen_subcommand_from base" -l config -d 'The stack\'s config file [default: INSTALL_DIR/conf/config.yml]' -r -F
complete -c msting -n "__fish_msting_using_subcommand images; and __fish_seen_subcommand_from base" -l install-dir -d 'Where the stack is installed [default: /opt/sting-ce]' -r -F
complete -c msting -n "__fish_msting_using_subcommand images; and __fish_seen_subcommand_from base" -l json -d 'Print machine-readable JSON on stdout'
complete -c msting -n "__fish_msting_using_subcommand images; and __fish_seen_subcommand_from base" -s y -l yes -d 'Answer yes to every confirmation (for scripts)'
complete -c msting -n "__fish_msting_using_subcommand images; and __fish_seen_subcommand_from base" -s q -l quiet -d 'Print only errors'
complete -c msting -n "__fish_msting_using_subcommand images; and __fish_seen_subcommand_from base" -s v -l verbose -d 'Print more detail (repeat for more)'
complete -c msting -n "__fish_msting_using_subcommand images; and __fish_seen_subcommand_from base" -l no-color -d 'Never colour the output (also: the NO_COLOR environment variable)'
complete -c msting -n "__fish_msting_using_subcommand images; and __fish_seen_subcommand_from base" -s h -l help -d 'Print help'
complete -c msting -n "__fish_msting_using_subcommand images; and __fish_seen_subcommand_from base" -s V -l version -d 'Print version'
complete -c msting -n "__fish_msting_using_subcommand images; and __fish_seen_subcommand_from save" -l config -d 'The stack\'s config file [default: INSTALL_DIR/conf/config.yml]' -r -F
complete -c msting -n "__fish_msting_using_subcommand images; and __fish_seen_subcommand_from save" -l install-dir -d 'Where the stack is installed [default: /opt/sting-ce]' -r -F
complete -c msting -n "__fish_msting_using_subcommand images; and __fish_seen_subcommand_from save" -l json -d 'Print machine-readable JSON on stdout'
complete -c msting -n "__fish_msting_using_subcommand images; and __fish_seen_subcommand_from save" -s y -l yes -d 'Answer yes to every confirmation (for scripts)'
complete -c msting -n "__fish_msting_using_subcommand images; and __fish_seen_subcommand_from save" -s q -l quiet -d 'Print only errors'
complete -c msting -n "__fish_msting_using_subcommand images; and __fish_seen_subcommand_from save" -s v -l verbose -d 'Print more detail (repeat for more)'
complete -c msting -n "__fish_msting_using_subcommand images; and __fish_seen_subcommand_from save" -l no-color -d 'Never colour the output (also: the NO_COLOR environment variable)'
complete -c msting -n "__fish_msting_using_subcommand images; and __fish_seen_subcommand_from save" -s h -l help -d 'Print help'
complete -c msting -n "__fish_msting_using_subcommand images; and __fish_seen_subcommand_from save" -s V -l version -d 'Print version'
complete -c msting -n "__fish_msting_using_subcommand images; and __fish_seen_subcommand_from load" -l config -d 'The stack\'s config file [default: INSTALL_DIR/conf/config.yml]' -r -F
complete -c msting -n "__fish_msting_using_subcommand images; and __fish_seen_subcommand_from load" -l install-dir -d 'Where the stack is installed [default: /opt/sting-ce]' -r -F
complete -c msting -n "__fish_msting_using_subcommand images; and __fish_seen_subcommand_from load" -l json -d 'Print machine-readable JSON on stdout'
complete -c msting -n "__fish_msting_using_subcommand images; and __fish_seen_subcommand_from load" -s y -l yes -d 'Answer yes to every confirmation (for scripts)'
complete -c msting -n "__fish_msting_using_subcommand images; and __fish_seen_subcommand_from load" -s q -l quiet -d 'Print only errors'
complete -c msting -n "__fish_msting_using_subcommand images; and __fish_seen_subcommand_from load" -s v -l verbose -d 'Print more detail (repeat for more)'
complete -c msting -n "__fish_msting_using_subcommand images; and __fish_seen_subcommand_from load" -l no-color -d 'Never colour the output (also: the NO_COLOR environment variable)'
complete -c msting -n "__fish_msting_using_subcommand images; and __fish_seen_subcommand_from load" -s h -l help -d 'Print help'
complete -c msting -n "__fish_msting_using_subcommand images; and __fish_seen_subcommand_from load" -s V -l version -d 'Print version'
complete -c msting -n "__fish_msting_using_subcommand images; and __fish_seen_subcommand_from help" -f -a "list" -d 'Each service\'s image and whether this engine has it'
complete -c msting -n "__fish_msting_using_subcommand images; and __fish_seen_subcommand_from help" -f -a "build" -d 'Build the images whose recipe changed (all with a recipe, or those named); the image each replaces is kept as TAG-previous, to roll back to'
complete -c msting -n "__fish_msting_using_subcommand images; and __fish_seen_subcommand_from help" -f -a "pull" -d 'Pull the images of the services named (all when none) from their registry, whatever images.pull says; the image each replaces is kept as TAG-previous'
complete -c msting -n "__fish_msting_using_subcommand images; and __fish_seen_subcommand_from help" -f -a "base" -d 'Make the Debian base image every recipe builds on (debootstrap from this machine\'s apt mirror, with the security suite, every package upgraded), named by images.base'
complete -c msting -n "__fish_msting_using_subcommand images; and __fish_seen_subcommand_from help" -f -a "save" -d 'Write every image of the stack into one file, to carry to a host without a registry'
complete -c msting -n "__fish_msting_using_subcommand images; and __fish_seen_subcommand_from help" -f -a "load" -d 'Load images from a file made by `msting images save`'
complete -c msting -n "__fish_msting_using_subcommand images; and __fish_seen_subcommand_from help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c msting -n "__fish_msting_using_subcommand completions" -l config -d 'The stack\'s config file [default: INSTALL_DIR/conf/config.yml]' -r -F
complete -c msting -n "__fish_msting_using_subcommand completions" -l install-dir -d 'Where the stack is installed [default: /opt/sting-ce]' -r -F
complete -c msting -n "__fish_msting_using_subcommand completions" -l json -d 'Print machine-readable JSON on stdout'
complete -c msting -n "__fish_msting_using_subcommand completions" -s y -l yes -d 'Answer yes to every confirmation (for scripts)'
complete -c msting -n "__fish_msting_using_subcommand completions" -s q -l quiet -d 'Print only errors'
complete -c msting -n "__fish_msting_using_subcommand completions" -s v -l verbose -d 'Print more detail (repeat for more)'
complete -c msting -n "__fish_msting_using_subcommand completions" -l no-color -d 'Never colour the output (also: the NO_COLOR environment variable)'
complete -c msting -n "__fish_msting_using_subcommand completions" -s h -l help -d 'Print help'
complete -c msting -n "__fish_msting_using_subcommand completions" -s V -l version -d 'Print version'
complete -c msting -n "__fish_msting_using_subcommand help; and not __fish_seen_subcommand_from install start stop restart status health cron doctor support-bundle logs update config vault unseal vault-secret encryption-keys secrets setup-ssl certs preflight check-ports stack models uninstall reset-auth backup restore images completions help" -f -a "install" -d 'Install the stack, or bring it to what the config asks for (a second run changes nothing)'
complete -c msting -n "__fish_msting_using_subcommand help; and not __fish_seen_subcommand_from install start stop restart status health cron doctor support-bundle logs update config vault unseal vault-secret encryption-keys secrets setup-ssl certs preflight check-ports stack models uninstall reset-auth backup restore images completions help" -f -a "start" -d 'Start the stack\'s services (all, or those named)'
complete -c msting -n "__fish_msting_using_subcommand help; and not __fish_seen_subcommand_from install start stop restart status health cron doctor support-bundle logs update config vault unseal vault-secret encryption-keys secrets setup-ssl certs preflight check-ports stack models uninstall reset-auth backup restore images completions help" -f -a "stop" -d 'Stop the stack\'s services (all, or those named); data stays'
complete -c msting -n "__fish_msting_using_subcommand help; and not __fish_seen_subcommand_from install start stop restart status health cron doctor support-bundle logs update config vault unseal vault-secret encryption-keys secrets setup-ssl certs preflight check-ports stack models uninstall reset-auth backup restore images completions help" -f -a "restart" -d 'Restart the stack\'s services (all, or those named)'
complete -c msting -n "__fish_msting_using_subcommand help; and not __fish_seen_subcommand_from install start stop restart status health cron doctor support-bundle logs update config vault unseal vault-secret encryption-keys secrets setup-ssl certs preflight check-ports stack models uninstall reset-auth backup restore images completions help" -f -a "status" -d 'The stack\'s services: state, health, uptime, image and ports, and what they answer'
complete -c msting -n "__fish_msting_using_subcommand help; and not __fish_seen_subcommand_from install start stop restart status health cron doctor support-bundle logs update config vault unseal vault-secret encryption-keys secrets setup-ssl certs preflight check-ports stack models uninstall reset-auth backup restore images completions help" -f -a "health" -d 'Check the stack for cron and monitoring: exit 0 OK, 1 WARNING, 2 CRITICAL, 3 UNKNOWN'
complete -c msting -n "__fish_msting_using_subcommand help; and not __fish_seen_subcommand_from install start stop restart status health cron doctor support-bundle logs update config vault unseal vault-secret encryption-keys secrets setup-ssl certs preflight check-ports stack models uninstall reset-auth backup restore images completions help" -f -a "cron" -d 'Schedule health, certificate renewal and nightly backups with cron'
complete -c msting -n "__fish_msting_using_subcommand help; and not __fish_seen_subcommand_from install start stop restart status health cron doctor support-bundle logs update config vault unseal vault-secret encryption-keys secrets setup-ssl certs preflight check-ports stack models uninstall reset-auth backup restore images completions help" -f -a "doctor" -d 'Diagnose the clock, DNS, memory for the models, Vault login, migrations, Docker and ports'
complete -c msting -n "__fish_msting_using_subcommand help; and not __fish_seen_subcommand_from install start stop restart status health cron doctor support-bundle logs update config vault unseal vault-secret encryption-keys secrets setup-ssl certs preflight check-ports stack models uninstall reset-auth backup restore images completions help" -f -a "support-bundle" -d 'Gather versions, health, the redacted config and recent logs into one archive (no secrets)'
complete -c msting -n "__fish_msting_using_subcommand help; and not __fish_seen_subcommand_from install start stop restart status health cron doctor support-bundle logs update config vault unseal vault-secret encryption-keys secrets setup-ssl certs preflight check-ports stack models uninstall reset-auth backup restore images completions help" -f -a "logs" -d 'The services\' logs, interleaved with a prefix per service'
complete -c msting -n "__fish_msting_using_subcommand help; and not __fish_seen_subcommand_from install start stop restart status health cron doctor support-bundle logs update config vault unseal vault-secret encryption-keys secrets setup-ssl certs preflight check-ports stack models uninstall reset-auth backup restore images completions help" -f -a "update" -d 'Update services to their newest images (built where a recipe changed), one at a time with health gating; a failed one returns to its previous image (and the database to a dump taken first, if its schema changed)'
complete -c msting -n "__fish_msting_using_subcommand help; and not __fish_seen_subcommand_from install start stop restart status health cron doctor support-bundle logs update config vault unseal vault-secret encryption-keys secrets setup-ssl certs preflight check-ports stack models uninstall reset-auth backup restore images completions help" -f -a "config" -d 'Check, show and migrate the stack\'s config.yml'
complete -c msting -n "__fish_msting_using_subcommand help; and not __fish_seen_subcommand_from install start stop restart status health cron doctor support-bundle logs update config vault unseal vault-secret encryption-keys secrets setup-ssl certs preflight check-ports stack models uninstall reset-auth backup restore images completions help" -f -a "vault" -d 'Initialise, inspect and rekey Vault'
complete -c msting -n "__fish_msting_using_subcommand help; and not __fish_seen_subcommand_from install start stop restart status health cron doctor support-bundle logs update config vault unseal vault-secret encryption-keys secrets setup-ssl certs preflight check-ports stack models uninstall reset-auth backup restore images completions help" -f -a "unseal" -d 'Unseal Vault with key shares (a hidden prompt on a terminal, else stdin, one per line)'
complete -c msting -n "__fish_msting_using_subcommand help; and not __fish_seen_subcommand_from install start stop restart status health cron doctor support-bundle logs update config vault unseal vault-secret encryption-keys secrets setup-ssl certs preflight check-ports stack models uninstall reset-auth backup restore images completions help" -f -a "vault-secret" -d 'Store, show and remove providers\' API keys (openai, anthropic, huggingface, smtp, ...)'
complete -c msting -n "__fish_msting_using_subcommand help; and not __fish_seen_subcommand_from install start stop restart status health cron doctor support-bundle logs update config vault unseal vault-secret encryption-keys secrets setup-ssl certs preflight check-ports stack models uninstall reset-auth backup restore images completions help" -f -a "encryption-keys" -d 'Show or rotate the encryption key stingd\'s stored data keys are wrapped with'
complete -c msting -n "__fish_msting_using_subcommand help; and not __fish_seen_subcommand_from install start stop restart status health cron doctor support-bundle logs update config vault unseal vault-secret encryption-keys secrets setup-ssl certs preflight check-ports stack models uninstall reset-auth backup restore images completions help" -f -a "secrets" -d 'Rotate the stack\'s generated secrets'
complete -c msting -n "__fish_msting_using_subcommand help; and not __fish_seen_subcommand_from install start stop restart status health cron doctor support-bundle logs update config vault unseal vault-secret encryption-keys secrets setup-ssl certs preflight check-ports stack models uninstall reset-auth backup restore images completions help" -f -a "setup-ssl" -d 'Give stingd its HTTPS certificate (local CA by default, or your own files)'
complete -c msting -n "__fish_msting_using_subcommand help; and not __fish_seen_subcommand_from install start stop restart status health cron doctor support-bundle logs update config vault unseal vault-secret encryption-keys secrets setup-ssl certs preflight check-ports stack models uninstall reset-auth backup restore images completions help" -f -a "certs" -d 'Certificates: what is installed and what stingd serves'
complete -c msting -n "__fish_msting_using_subcommand help; and not __fish_seen_subcommand_from install start stop restart status health cron doctor support-bundle logs update config vault unseal vault-secret encryption-keys secrets setup-ssl certs preflight check-ports stack models uninstall reset-auth backup restore images completions help" -f -a "preflight" -d 'Check this machine for STING: root, Docker, CPUs and memory, disk, ports, GPU'
complete -c msting -n "__fish_msting_using_subcommand help; and not __fish_seen_subcommand_from install start stop restart status health cron doctor support-bundle logs update config vault unseal vault-secret encryption-keys secrets setup-ssl certs preflight check-ports stack models uninstall reset-auth backup restore images completions help" -f -a "check-ports" -d 'Check that the ports stingd publishes are free'
complete -c msting -n "__fish_msting_using_subcommand help; and not __fish_seen_subcommand_from install start stop restart status health cron doctor support-bundle logs update config vault unseal vault-secret encryption-keys secrets setup-ssl certs preflight check-ports stack models uninstall reset-auth backup restore images completions help" -f -a "stack" -d 'The stack this config describes'
complete -c msting -n "__fish_msting_using_subcommand help; and not __fish_seen_subcommand_from install start stop restart status health cron doctor support-bundle logs update config vault unseal vault-secret encryption-keys secrets setup-ssl certs preflight check-ports stack models uninstall reset-auth backup restore images completions help" -f -a "models" -d 'The models in the models folder'
complete -c msting -n "__fish_msting_using_subcommand help; and not __fish_seen_subcommand_from install start stop restart status health cron doctor support-bundle logs update config vault unseal vault-secret encryption-keys secrets setup-ssl certs preflight check-ports stack models uninstall reset-auth backup restore images completions help" -f -a "uninstall" -d 'Remove the stack\'s containers and networks (its data too with --purge)'
complete -c msting -n "__fish_msting_using_subcommand help; and not __fish_seen_subcommand_from install start stop restart status health cron doctor support-bundle logs update config vault unseal vault-secret encryption-keys secrets setup-ssl certs preflight check-ports stack models uninstall reset-auth backup restore images completions help" -f -a "reset-auth" -d 'End every session of every user: everyone signs in again (API tokens stay valid)'
complete -c msting -n "__fish_msting_using_subcommand help; and not __fish_seen_subcommand_from install start stop restart status health cron doctor support-bundle logs update config vault unseal vault-secret encryption-keys secrets setup-ssl certs preflight check-ports stack models uninstall reset-auth backup restore images completions help" -f -a "backup" -d 'Back up the stack (databases, Vault, config, certificates) into one file, encrypted by default'
complete -c msting -n "__fish_msting_using_subcommand help; and not __fish_seen_subcommand_from install start stop restart status health cron doctor support-bundle logs update config vault unseal vault-secret encryption-keys secrets setup-ssl certs preflight check-ports stack models uninstall reset-auth backup restore images completions help" -f -a "restore" -d 'Restore a backup: verify it, keep a safety copy, replace the data, Vault and files, issue new credentials, start with health checks; on any failure the stack goes back as it was'
complete -c msting -n "__fish_msting_using_subcommand help; and not __fish_seen_subcommand_from install start stop restart status health cron doctor support-bundle logs update config vault unseal vault-secret encryption-keys secrets setup-ssl certs preflight check-ports stack models uninstall reset-auth backup restore images completions help" -f -a "images" -d 'The stack\'s images and the offline bundle'
complete -c msting -n "__fish_msting_using_subcommand help; and not __fish_seen_subcommand_from install start stop restart status health cron doctor support-bundle logs update config vault unseal vault-secret encryption-keys secrets setup-ssl certs preflight check-ports stack models uninstall reset-auth backup restore images completions help" -f -a "completions" -d 'Print the completion script for a shell (bash, zsh, fish, ...)'
complete -c msting -n "__fish_msting_using_subcommand help; and not __fish_seen_subcommand_from install start stop restart status health cron doctor support-bundle logs update config vault unseal vault-secret encryption-keys secrets setup-ssl certs preflight check-ports stack models uninstall reset-auth backup restore images completions help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c msting -n "__fish_msting_using_subcommand help; and __fish_seen_subcommand_from cron" -f -a "install" -d 'Write the stack\'s cron file (the same file every time; run again after changing backup.recipients)'
complete -c msting -n "__fish_msting_using_subcommand help; and __fish_seen_subcommand_from cron" -f -a "remove" -d 'Remove the stack\'s cron file'
complete -c msting -n "__fish_msting_using_subcommand help; and __fish_seen_subcommand_from config" -f -a "validate" -d 'Check a config file and report every problem, with its line and a hint'
complete -c msting -n "__fish_msting_using_subcommand help; and __fish_seen_subcommand_from config" -f -a "show" -d 'Print the effective configuration: defaults, then the file, then the environment (secrets are shown as their vault-ref references, never resolved)'
complete -c msting -n "__fish_msting_using_subcommand help; and __fish_seen_subcommand_from config" -f -a "migrate" -d 'Bring an older config.yml up to this version: shows the change as a diff and writes it only with consent (a prompt, or --yes), keeping the old file beside it'
complete -c msting -n "__fish_msting_using_subcommand help; and __fish_seen_subcommand_from config" -f -a "schema" -d 'Print the JSON schema of config.yml, for editors and other tools'
complete -c msting -n "__fish_msting_using_subcommand help; and __fish_seen_subcommand_from vault" -f -a "init" -d 'Initialise Vault once: hand out the key shares (on this terminal, or age-encrypted to `vault.share_recipients`), set up secrets, policies and roles, keep msting\'s operator login, and revoke the root token'
complete -c msting -n "__fish_msting_using_subcommand help; and __fish_seen_subcommand_from vault" -f -a "status" -d 'Whether Vault is initialised and sealed, its seal, version, storage and audit devices (exit status 1 when it is sealed or not initialised)'
complete -c msting -n "__fish_msting_using_subcommand help; and __fish_seen_subcommand_from vault" -f -a "rekey" -d 'Replace the key shares when a holder leaves (unseal shares, or recovery shares with auto-unseal): a threshold of current shares in (prompt, stdin or --key-file), a new set out as at init (`vault.key_shares`, `key_threshold`, `share_recipients`)'
complete -c msting -n "__fish_msting_using_subcommand help; and __fish_seen_subcommand_from vault" -f -a "credentials" -d 'Give a service its Vault login: its role-id and a fresh, response-wrapped, single-use secret-id, as files (0400 in a 0700 folder) to mount read-only into its container'
complete -c msting -n "__fish_msting_using_subcommand help; and __fish_seen_subcommand_from vault-secret" -f -a "list" -d 'The providers with stored values, and the values\' names (never the values)'
complete -c msting -n "__fish_msting_using_subcommand help; and __fish_seen_subcommand_from vault-secret" -f -a "get" -d 'Show a stored value, masked unless --reveal'
complete -c msting -n "__fish_msting_using_subcommand help; and __fish_seen_subcommand_from vault-secret" -f -a "set" -d 'Store a value, read from a hidden prompt or from stdin (never from the command line)'
complete -c msting -n "__fish_msting_using_subcommand help; and __fish_seen_subcommand_from vault-secret" -f -a "rm" -d 'Remove a value, or with no name every value of the provider'
complete -c msting -n "__fish_msting_using_subcommand help; and __fish_seen_subcommand_from encryption-keys" -f -a "status" -d 'Key versions, the last rotation, and the oldest version that still decrypts'
complete -c msting -n "__fish_msting_using_subcommand help; and __fish_seen_subcommand_from encryption-keys" -f -a "rotate" -d 'Make a new key version: new data uses it, old data still decrypts'
complete -c msting -n "__fish_msting_using_subcommand help; and __fish_seen_subcommand_from secrets" -f -a "rotate" -d 'Replace a generated secret: `database` (stingd\'s database login, changed in PostgreSQL and Vault together), `session-key`, `cookie-key`'
complete -c msting -n "__fish_msting_using_subcommand help; and __fish_seen_subcommand_from certs" -f -a "status" -d 'Issuer, names, expiry and lifetime left of the installed certificate, the local CA, and the certificate stingd is serving'
complete -c msting -n "__fish_msting_using_subcommand help; and __fish_seen_subcommand_from stack" -f -a "compose" -d 'Print the reference compose file for this config (to read or adapt; not an installer)'
complete -c msting -n "__fish_msting_using_subcommand help; and __fish_seen_subcommand_from stack" -f -a "spec" -d 'Print each service\'s spec and its hash (`--json` for all of it)'
complete -c msting -n "__fish_msting_using_subcommand help; and __fish_seen_subcommand_from models" -f -a "list" -d 'Each model file: architecture, size, quantisation, who uses it'
complete -c msting -n "__fish_msting_using_subcommand help; and __fish_seen_subcommand_from models" -f -a "import" -d 'Copy a GGUF file into the models folder (checked first)'
complete -c msting -n "__fish_msting_using_subcommand help; and __fish_seen_subcommand_from models" -f -a "rm" -d 'Remove a model file (refused while the config uses it)'
complete -c msting -n "__fish_msting_using_subcommand help; and __fish_seen_subcommand_from models" -f -a "verify" -d 'Check each model\'s sha256 against the config and the models STING knows'
complete -c msting -n "__fish_msting_using_subcommand help; and __fish_seen_subcommand_from backup" -f -a "list" -d 'The backups in the backup folder, oldest first, from the manifests kept beside them'
complete -c msting -n "__fish_msting_using_subcommand help; and __fish_seen_subcommand_from backup" -f -a "verify" -d 'Decrypt and read a backup whole: every entry\'s checksum, the dumps through pg_restore'
complete -c msting -n "__fish_msting_using_subcommand help; and __fish_seen_subcommand_from backup" -f -a "prune" -d 'Remove the backups a retention policy does not keep (the newest of each period); without any --keep option, the policy is `backup.retention`'
complete -c msting -n "__fish_msting_using_subcommand help; and __fish_seen_subcommand_from images" -f -a "list" -d 'Each service\'s image and whether this engine has it'
complete -c msting -n "__fish_msting_using_subcommand help; and __fish_seen_subcommand_from images" -f -a "build" -d 'Build the images whose recipe changed (all with a recipe, or those named); the image each replaces is kept as TAG-previous, to roll back to'
complete -c msting -n "__fish_msting_using_subcommand help; and __fish_seen_subcommand_from images" -f -a "pull" -d 'Pull the images of the services named (all when none) from their registry, whatever images.pull says; the image each replaces is kept as TAG-previous'
complete -c msting -n "__fish_msting_using_subcommand help; and __fish_seen_subcommand_from images" -f -a "base" -d 'Make the Debian base image every recipe builds on (debootstrap from this machine\'s apt mirror, with the security suite, every package upgraded), named by images.base'
complete -c msting -n "__fish_msting_using_subcommand help; and __fish_seen_subcommand_from images" -f -a "save" -d 'Write every image of the stack into one file, to carry to a host without a registry'
complete -c msting -n "__fish_msting_using_subcommand help; and __fish_seen_subcommand_from images" -f -a "load" -d 'Load images from a file made by `msting images save`'
