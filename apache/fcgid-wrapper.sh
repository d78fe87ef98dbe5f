#!/bin/sh
# fcgid-wrapper.sh: what mod_fcgid starts (see fcgid.conf). fd 0 is the listening socket
# mod_fcgid made; `tsgi run` sees a socket there and serves FastCGI on it.
#
# TSGI_APP (FcgidInitialEnv) names the app module; TSGI_NODE the node binary (default: node on
# PATH). tsgi is found next to this script (this file ships in the package's apache/ directory).
set -eu
: "${TSGI_APP:?fcgid-wrapper.sh: set TSGI_APP with FcgidInitialEnv}"
here=$(dirname "$(readlink -f "$0")")
# exec: mod_fcgid signals this pid to stop the process, so it must be node itself.
exec "${TSGI_NODE:-node}" "$here/../dist/cli/main.js" run "$TSGI_APP"
