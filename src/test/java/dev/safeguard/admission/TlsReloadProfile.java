package dev.safeguard.admission;

import io.quarkus.test.junit.QuarkusTestProfile;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

/** The webhook serving a certificate mounted like a Secret, checked for changes every 200 ms. */
public class TlsReloadProfile implements QuarkusTestProfile {

    static final Path MOUNT = Path.of("target", "tls-reload").toAbsolutePath();
    static final TlsFiles.Pair FIRST = TlsFiles.valid("first.example");

    @Override
    public Map<String, String> getConfigOverrides() {
        try {
            if (Files.exists(MOUNT)) {
                try (var paths = Files.walk(MOUNT)) {
                    paths.sorted(java.util.Comparator.reverseOrder()).forEach(path -> path.toFile().delete());
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        TlsFiles.mount(MOUNT, 1, FIRST.certPem(), FIRST.keyPem());
        return Map.of("safeguard.tls.cert", MOUNT.resolve("tls.crt").toString(),
                "safeguard.tls.key", MOUNT.resolve("tls.key").toString(),
                "safeguard.tls.check-interval", "200ms");
    }
}
