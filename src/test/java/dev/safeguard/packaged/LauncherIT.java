package dev.safeguard.packaged;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.safeguard.SampleManifests;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.FileTime;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The packaged {@code safeguard} launcher (src/main/bin/safeguard, copied beside the jar): a short run makes its
 * class-data archive once and then uses it, and whatever the archive's state (missing, fresh, stale) the report and
 * the exit code are those of {@code java -jar}: the JVM's archive warnings never reach stdout. Both kinds of archive
 * are covered: AppCDS on the {@code java} of the PATH (Java 17 here) and an AOT cache on a Java 25 (the image's),
 * which is looked for under /usr/lib/jvm and $JAVA25_HOME; without one that part is skipped and says so.
 */
class LauncherIT {

    static final Path APP = Path.of("target", "quarkus-app");

    @TempDir
    static Path copy;
    static Path manifest;

    /** A copy of the packaged app, so that archives made here do not touch target/quarkus-app. */
    @BeforeAll
    static void copyTheApp() throws IOException {
        assertThat(APP.resolve("safeguard")).as("the launcher beside the jar (mvn package)").isExecutable();
        try (Stream<Path> files = Files.walk(APP)) {
            for (Path file : files.filter(path -> !path.toString().matches(".*\\.(jsa|aot)$")).toList()) {
                Path target = copy.resolve(APP.relativize(file).toString());
                if (Files.isDirectory(file)) {
                    Files.createDirectories(target);
                } else {
                    Files.copy(file, target, StandardCopyOption.COPY_ATTRIBUTES);
                }
            }
        }
        manifest = copy.resolve("web.yaml");
        Files.writeString(manifest, SampleManifests.careless("shop", "web"));
    }

    record Run(int exit, String out, String err) {
    }

    /** The JDK a run uses: null for the PATH's java (and no JAVA_HOME), else that JDK's home. */
    static Run run(Path javaHome, List<String> command) throws Exception {
        Path out = Files.createTempFile(copy, "out", ".txt");
        Path err = Files.createTempFile(copy, "err", ".txt");
        ProcessBuilder builder = new ProcessBuilder(command).redirectOutput(out.toFile()).redirectError(err.toFile());
        builder.environment().remove("SAFEGUARD_JAVA_OPTS");
        builder.environment().remove("JAVA_TOOL_OPTIONS");
        if (javaHome == null) {
            builder.environment().remove("JAVA_HOME");
        } else {
            builder.environment().put("JAVA_HOME", javaHome.toString());
        }
        Process process = builder.start();
        assertThat(process.waitFor(120, TimeUnit.SECONDS)).as("%s finished", command).isTrue();
        return new Run(process.exitValue(), Files.readString(out, StandardCharsets.UTF_8),
                Files.readString(err, StandardCharsets.UTF_8));
    }

    static Run launcher(Path javaHome, String... args) throws Exception {
        List<String> command = new ArrayList<>(List.of(copy.resolve("safeguard").toString()));
        command.addAll(List.of(args));
        return run(javaHome, command);
    }

    /** A Java 25 home ($JAVA25_HOME, else the first JDK 25 under /usr/lib/jvm), if there is one. */
    static Optional<Path> java25() throws IOException {
        List<Path> candidates = new ArrayList<>();
        Optional.ofNullable(System.getenv("JAVA25_HOME")).map(Path::of).ifPresent(candidates::add);
        Path jvms = Path.of("/usr/lib/jvm");
        if (Files.isDirectory(jvms)) {
            try (Stream<Path> homes = Files.list(jvms)) {
                homes.sorted().forEach(candidates::add);
            }
        }
        for (Path home : candidates) {
            Path release = home.resolve("release");
            if (Files.isExecutable(home.resolve("bin/java")) && Files.isRegularFile(release)
                    && Files.readString(release).contains("JAVA_VERSION=\"25")) {
                return Optional.of(home);
            }
        }
        return Optional.empty();
    }

    @Test
    void aShortRunMakesItsAppCdsArchiveOnceAndReportsAsJavaJarDoes() throws Exception {
        shortRunsReportAsJavaJarDoes(null, "java", copy.resolve("safeguard-check.jsa"));
    }

    @Test
    void onJava25AShortRunMakesAnAotCacheOnceAndReportsAsJavaJarDoes() throws Exception {
        Optional<Path> java25 = java25();
        if (java25.isEmpty()) {
            System.err.println("*** LauncherIT: NO JAVA 25 (none under /usr/lib/jvm, JAVA25_HOME unset): the AOT cache "
                    + "path of the launcher, the one the image runs, is NOT TESTED here");
        }
        assumeTrue(java25.isPresent(), "no Java 25 under /usr/lib/jvm or in JAVA25_HOME");
        shortRunsReportAsJavaJarDoes(java25.get(), java25.get().resolve("bin/java").toString(),
                copy.resolve("safeguard-check.aot"));
    }

    private static void shortRunsReportAsJavaJarDoes(Path javaHome, String java, Path archive) throws Exception {
        Run plain = run(javaHome, List.of(java, "-jar", copy.resolve("quarkus-run.jar").toString(), "check", "-o",
                "json", manifest.toString()));
        assertThat(plain.exit()).as("image-tag denies shop/api:latest\n%s", plain.err()).isEqualTo(1);

        Run first = launcher(javaHome, "check", "-o", "json", manifest.toString());
        assertThat(archive).as("the archive the first run made").isRegularFile();
        Run second = launcher(javaHome, "check", "-o", "json", manifest.toString());
        // A stale archive (a jar newer than it) is made again, never used half-fitting.
        Instant old = Instant.now().minusSeconds(3600);
        Files.setLastModifiedTime(archive, FileTime.from(old));
        Run stale = launcher(javaHome, "check", "-o", "json", manifest.toString());
        assertThat(Files.getLastModifiedTime(archive).toInstant()).as("archive made again").isAfter(old);
        for (Run run : List.of(first, second, stale)) {
            assertThat(run.exit()).isEqualTo(plain.exit());
            assertThat(run.out()).isEqualTo(plain.out());
            assertThat(run.err()).doesNotContain("cds", "aot", "warning", "CDS", "WARNING");
        }
    }

    @Test
    void anArchiveTheJvmCannotUseOnlyCostsSpeed() throws Exception {
        Path archive = copy.resolve("broken.jsa");
        Files.writeString(archive, "not a class-data archive");
        Files.setLastModifiedTime(archive, FileTime.from(Instant.now().plusSeconds(3600)));
        ProcessBuilder builder = new ProcessBuilder(copy.resolve("safeguard").toString(), "check", manifest.toString());
        builder.environment().put("SAFEGUARD_CDS_ARCHIVE", archive.toString());
        builder.redirectErrorStream(true);
        Process process = builder.start();
        String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(process.waitFor(120, TimeUnit.SECONDS)).isTrue();
        assertThat(process.exitValue()).as(output).isEqualTo(1);
        assertThat(output).contains("Deployment shop/web").contains("[image-tag]").doesNotContainIgnoringCase("cds");
    }
}
