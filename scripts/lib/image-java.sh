# Sourced by the benchmark scripts: measure on the Java release the image runs (the Dockerfile's runtime base),
# not merely on whatever `java` comes first on PATH; the launcher's class-data archives differ by release.
#
#   use_image_java [HOME]   exports JAVA_HOME (HOME, else $JAVA_HOME, else the first JDK of the image's release
#                           among the PATH's java and /usr/lib/jvm/*) and puts its bin first on PATH; says loudly
#                           when it measures another release than the image's

java_release() { # home: the feature release in its release file (17, 21, 25), empty when unknown
  sed -n 's/^JAVA_VERSION="\([0-9]*\).*/\1/p' "$1/release" 2>/dev/null | head -n 1
}

use_image_java() {
  local wanted home candidate path_java=""
  wanted=$(sed -n 's/^FROM eclipse-temurin:\([0-9]*\)-jre AS runtime-base$/\1/p' Dockerfile)
  home="${1:-${JAVA_HOME:-}}"
  if [[ -z "$home" ]]; then
    if command -v java >/dev/null 2>&1; then
      path_java=$(dirname "$(dirname "$(readlink -f "$(command -v java)")")")
    fi
    for candidate in "$path_java" /usr/lib/jvm/*; do
      if [[ -n "$candidate" && -x "$candidate/bin/java" && "$(java_release "$candidate")" == "$wanted" ]]; then
        home="$candidate"
        break
      fi
    done
    home="${home:-$path_java}"
  fi
  export JAVA_HOME="$home" PATH="$home/bin:$PATH"
  if [[ "$(java_release "$home")" != "$wanted" ]]; then
    echo "*** MEASURING ON JAVA $(java_release "$home") ($home), BUT THE IMAGE RUNS JAVA $wanted: its figures differ"
    echo "*** (install a JDK $wanted, or name one with --java HOME)"
  fi
}

archive_kind() { # the launcher's class-data archives on $JAVA_HOME: aot (an AOT cache, Java 25+) or jsa (AppCDS)
  if [[ "$(java_release "$JAVA_HOME")" -ge 25 ]] 2>/dev/null; then echo aot; else echo jsa; fi
}
