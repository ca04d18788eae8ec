package dev.safeguard.server;

import io.smallrye.certs.CertificateGenerator;
import io.smallrye.certs.CertificateRequest;
import io.smallrye.certs.Format;
import io.smallrye.certs.PemCertificateFiles;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;

/**
 * The embedded default for a first run: when no certificate is configured, generate a self-signed one
 * for localhost so the webhook serves TLS at once. A cluster install always mounts a real certificate.
 */
public final class SelfSignedTls {

    /** Environment variables naming the PEM files; the same names the Helm chart sets. */
    public static final String CERT_ENV = "SAFEGUARD_TLS_CERT";
    public static final String KEY_ENV = "SAFEGUARD_TLS_KEY";
    /** Set when a certificate was generated, so the server can say so in its log. */
    public static final String GENERATED_PROPERTY = "safeguard.tls.generated";

    private SelfSignedTls() {
    }

    /** True when neither the environment nor system properties name a certificate. */
    public static boolean notConfigured() {
        return System.getenv(CERT_ENV) == null && System.getProperty("safeguard.tls.cert") == null;
    }

    /**
     * Generates a self-signed certificate for localhost and 127.0.0.1 into a fresh temporary directory and
     * points safeguard.tls.cert / safeguard.tls.key at it (as system properties, read by the TLS config).
     */
    public static Path generate() throws Exception {
        PemCertificateFiles pem = generateInto(Files.createTempDirectory("kube-safeguard-tls"));
        System.setProperty("safeguard.tls.cert", pem.certFile().toString());
        System.setProperty("safeguard.tls.key", pem.keyFile().toString());
        System.setProperty(GENERATED_PROPERTY, pem.certFile().toString());
        return pem.certFile();
    }

    private static PemCertificateFiles generateInto(Path directory) throws Exception {
        var files = new CertificateGenerator(directory, true).generate(new CertificateRequest()
                .withName("webhook")
                .withCN("localhost")
                .withSubjectAlternativeName("DNS:localhost")
                .withSubjectAlternativeName("IP:127.0.0.1")
                .withDuration(Duration.ofDays(30))
                .withFormat(Format.PEM));
        return (PemCertificateFiles) files.get(0);
    }

    /**
     * Writes a self-signed certificate and its key to DIRECTORY/tls.crt and DIRECTORY/tls.key, in a JVM of its own.
     * The launcher's training start of {@code serve} runs with them, as a cluster runs with a mounted certificate:
     * were the training start to generate its own, the class-data archive would hold the generator's classes
     * (BouncyCastle's, thousands) and every start would load them, about 14 MiB of resident memory for nothing.
     */
    public static void main(String[] args) throws Exception {
        if (args.length != 1) {
            System.err.println("usage: java -cp quarkus-run.jar " + SelfSignedTls.class.getName() + " DIRECTORY");
            System.exit(2);
        }
        Path directory = Files.createDirectories(Path.of(args[0]));
        PemCertificateFiles pem = generateInto(directory);
        Files.move(pem.certFile(), directory.resolve("tls.crt"), StandardCopyOption.REPLACE_EXISTING);
        Files.move(pem.keyFile(), directory.resolve("tls.key"), StandardCopyOption.REPLACE_EXISTING);
    }
}
