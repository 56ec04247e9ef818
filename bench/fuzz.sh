#!/usr/bin/env bash
# A longer run of the FsCheck fuzzing that CI runs briefly (tests/Witness.Server.Tests/Fuzzing):
# the event parser, the search language, every JSON endpoint and the sign-in return address, over
# loopback on SQLite. Each property tries SCALE times its CI number of cases.
#
#   bench/fuzz.sh            # SCALE 50: about 375,000 cases
#   bench/fuzz.sh 5          # a quicker pass
#
# A failure prints the shrunk input and the seed that replays it.
set -euo pipefail
REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd -P)"
export WITNESS_FUZZ_SCALE="${1:-50}"
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1
dotnet test "$REPO/tests/Witness.Server.Tests" -c Release --filter "FullyQualifiedName~Witness.Server.Tests.Fuzzing" --logger "console;verbosity=normal"
