#!/bin/sh
# A test double named pasta (test.sh links it as pasta in a directory first on PATH). It
# writes its arguments, one a line, then a line "--", to $FAKE_PASTA_LOG, and answers as
# a pasta that takes the long options in $FAKE_PASTA_TAKES (space-separated) beyond
# Debian 12's: --map-* and --splice-only not named there are refused as pasta refuses an
# option it lacks ("unrecognized option", status 1), and so is -e when $FAKE_PASTA_NO_E
# is set (a pasta after its removal). --version answers 0; every other run fails once
# its options are read, as a helper that cannot start, so the command line is all it is
# for.
printf '%s\n' "$@" -- >>"${FAKE_PASTA_LOG:-/dev/null}"
for a in "$@"; do
	case $a in
	--version)
		echo "pasta (a test double)"
		exit 0
		;;
	-e)
		if [ -n "${FAKE_PASTA_NO_E-}" ]; then
			echo "pasta: invalid option -- 'e'" >&2
			exit 1
		fi
		;;
	--map-* | --splice-only)
		case " ${FAKE_PASTA_TAKES-} " in
		*" $a "*) ;;
		*)
			echo "pasta: unrecognized option '$a'" >&2
			exit 1
			;;
		esac
		;;
	esac
done
echo "pasta (a test double): not a helper" >&2
exit 1
