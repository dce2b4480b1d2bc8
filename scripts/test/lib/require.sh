# Sourced by the test steps: `require STEP PROGRAM:PACKAGE ...` stops the
# step with one clear message when a program (a name on PATH, or an
# absolute path) is missing, naming the Debian package that provides it
# (all of them are in scripts/test/apt-packages.txt; scripts/test/install.sh
# or ./test.sh installs them).
require() {
    local step=$1 missing="" pkgs="" entry prog pkg
    shift
    for entry in "$@"; do
        prog=${entry%%:*}
        pkg=${entry#*:}
        if [[ $prog == /* ]]; then
            [ -e "$prog" ] && continue
        else
            command -v "$prog" >/dev/null 2>&1 && continue
        fi
        missing="$missing $prog"
        case " $pkgs " in *" $pkg "*) ;; *) pkgs="$pkgs $pkg" ;; esac
    done
    if [ -n "$missing" ]; then
        echo "$step: missing:$missing — install the Debian package(s):$pkgs" \
            "(apt-get install$pkgs, or run scripts/test/install.sh)" >&2
        exit 1
    fi
}
