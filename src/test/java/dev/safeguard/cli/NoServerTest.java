package dev.safeguard.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code check} starts no server: run through the real entry point in a fresh JVM, it loads not a single class
 * of Quarkus, Vert.x or Netty (which bind ports), so it can bind none.
 */
class NoServerTest {

    @TempDir
    Path dir;

    @Test
    void checkThroughMainLoadsNoServerClass() throws Exception {
        Path manifest = Cli.write(dir, "web.yaml", Cli.deployment("web", "shop", 3, false));
        Path classLog = dir.resolve("classes.log");
        Path java = Path.of(System.getProperty("java.home"), "bin", "java");
        Process process = new ProcessBuilder(java.toString(), "-Xlog:class+load=info:file=" + classLog,
                "-cp", System.getProperty("java.class.path"), "dev.safeguard.Main", "check", manifest.toString())
                .redirectErrorStream(true)
                .start();
        String output = new String(process.getInputStream().readAllBytes());
        assertThat(process.waitFor(60, TimeUnit.SECONDS)).isTrue();

        assertThat(process.exitValue()).as(output).isEqualTo(SafeguardCommand.VIOLATIONS);
        assertThat(output).contains("[replicas-spread]");
        List<String> loaded = Files.readAllLines(classLog);
        assertThat(loaded).as("the check path ran").anyMatch(line -> line.contains("dev.safeguard.cli.CheckCommand "));
        assertThat(loaded).noneMatch(line -> line.contains(" io.quarkus.") || line.contains(" io.vertx.")
                || line.contains(" io.netty.") || line.contains(" org.jboss.resteasy."));
    }
}
