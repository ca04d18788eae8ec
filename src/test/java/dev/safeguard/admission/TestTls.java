package dev.safeguard.admission;

import io.quarkus.test.common.QuarkusTestResourceLifecycleManager;
import io.smallrye.certs.CertificateGenerator;
import io.smallrye.certs.CertificateRequest;
import io.smallrye.certs.Format;
import io.smallrye.certs.PemCertificateFiles;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;

/** A test certificate for the webhook's TLS port, generated before Quarkus starts. */
public class TestTls implements QuarkusTestResourceLifecycleManager {

    @Override
    public Map<String, String> start() {
        try {
            Path directory = Files.createDirectories(Path.of("target", "test-tls"));
            var files = new CertificateGenerator(directory, true).generate(new CertificateRequest()
                    .withName("webhook-test")
                    .withCN("localhost")
                    .withSubjectAlternativeName("DNS:localhost")
                    .withSubjectAlternativeName("IP:127.0.0.1")
                    .withDuration(Duration.ofDays(2))
                    .withFormat(Format.PEM));
            PemCertificateFiles pem = (PemCertificateFiles) files.get(0);
            return Map.of("safeguard.tls.cert", pem.certFile().toAbsolutePath().toString(),
                    "safeguard.tls.key", pem.keyFile().toAbsolutePath().toString());
        } catch (Exception e) {
            throw new IllegalStateException("cannot generate the test certificate", e);
        }
    }

    @Override
    public void stop() {
    }
}
