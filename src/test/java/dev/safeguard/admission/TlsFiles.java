package dev.safeguard.admission;

import java.io.IOException;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.math.BigInteger;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.Date;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.openssl.jcajce.JcaPEMWriter;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;

/**
 * Certificate/key pairs as PEM, and a directory holding them the way the kubelet mounts a Secret: tls.crt and
 * tls.key are symlinks into ..data, itself a symlink to a versioned directory swapped atomically on update.
 */
final class TlsFiles {

    record Pair(X509Certificate certificate, KeyPair keys, String certPem, String keyPem) {
        Pair withKeyOf(Pair other) {
            return new Pair(certificate, other.keys, certPem, other.keyPem);
        }
    }

    private TlsFiles() {
    }

    static Pair pair(String cn, Instant notBefore, Instant notAfter) {
        try {
            KeyPairGenerator generator = KeyPairGenerator.getInstance("RSA");
            generator.initialize(2048);
            KeyPair keys = generator.generateKeyPair();
            X500Name name = new X500Name("CN=" + cn);
            JcaX509v3CertificateBuilder builder = new JcaX509v3CertificateBuilder(name,
                    BigInteger.valueOf(System.nanoTime()), Date.from(notBefore), Date.from(notAfter), name, keys.getPublic());
            builder.addExtension(Extension.subjectAlternativeName, false, new GeneralNames(new GeneralName[] {
                    new GeneralName(GeneralName.dNSName, "localhost"), new GeneralName(GeneralName.iPAddress, "127.0.0.1")}));
            X509Certificate certificate = new JcaX509CertificateConverter().getCertificate(
                    builder.build(new JcaContentSignerBuilder("SHA256withRSA").build(keys.getPrivate())));
            return new Pair(certificate, keys, pem(certificate), pem(keys.getPrivate()));
        } catch (Exception e) {
            throw new IllegalStateException("cannot generate a test certificate", e);
        }
    }

    static Pair valid(String cn) {
        return pair(cn, Instant.now().minus(Duration.ofHours(1)), Instant.now().plus(Duration.ofDays(2)));
    }

    private static String pem(Object object) throws IOException {
        StringWriter text = new StringWriter();
        try (JcaPEMWriter writer = new JcaPEMWriter(text)) {
            writer.writeObject(object);
        }
        return text.toString();
    }

    /** Writes generation {@code generation} of the mount and swaps it in atomically. */
    static void mount(Path directory, int generation, String certPem, String keyPem) {
        try {
            Files.createDirectories(directory);
            Path version = directory.resolve("..v" + generation);
            Files.createDirectories(version);
            Files.writeString(version.resolve("tls.crt"), certPem);
            Files.writeString(version.resolve("tls.key"), keyPem);
            Path temporary = directory.resolve("..data_tmp");
            Files.deleteIfExists(temporary);
            Files.createSymbolicLink(temporary, version.getFileName());
            Files.move(temporary, directory.resolve("..data"), StandardCopyOption.ATOMIC_MOVE,
                    StandardCopyOption.REPLACE_EXISTING);
            for (String file : new String[] {"tls.crt", "tls.key"}) {
                Path link = directory.resolve(file);
                if (!Files.isSymbolicLink(link)) {
                    Files.deleteIfExists(link);
                    Files.createSymbolicLink(link, Path.of("..data", file));
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
