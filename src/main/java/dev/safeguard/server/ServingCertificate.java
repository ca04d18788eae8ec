package dev.safeguard.server;

import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.net.PemKeyCertOptions;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.SecureRandom;
import java.security.Signature;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.HexFormat;
import javax.net.ssl.KeyManager;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.X509KeyManager;

/**
 * A certificate/key pair read from the PEM files, checked before it may be served: the certificate parses,
 * the key parses and belongs to the certificate (a signature made with the key verifies with the
 * certificate's public key), and the certificate is within its validity period. Parsed the way the HTTP
 * server parses it (Vert.x' PEM support: PKCS#8, PKCS#1 RSA and SEC1 EC keys).
 */
public record ServingCertificate(X509Certificate leaf, String fingerprint) {

    /** Clock skew tolerated for a certificate that was issued a moment ago. */
    static final Duration NOT_BEFORE_SKEW = Duration.ofMinutes(5);

    /** Why a pair is refused; the message is what the log and readiness say. */
    static final class Rejected extends Exception {
        Rejected(String message) {
            super(message);
        }

        Rejected(String message, Throwable cause) {
            super(message, cause);
        }
    }

    static String fingerprint(byte[] cert, byte[] key) {
        try {
            MessageDigest digest = MessageDigest.getInstance("SHA-256");
            digest.update(cert);
            digest.update((byte) 0);
            digest.update(key);
            return HexFormat.of().formatHex(digest.digest());
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    static ServingCertificate verify(Vertx vertx, byte[] cert, byte[] key, Instant now) throws Rejected {
        if (cert.length == 0) {
            throw new Rejected("the certificate file is empty");
        }
        if (key.length == 0) {
            throw new Rejected("the key file is empty");
        }
        X509KeyManager keys = null;
        try {
            KeyManagerFactory factory = new PemKeyCertOptions().setCertValue(Buffer.buffer(cert))
                    .setKeyValue(Buffer.buffer(key)).getKeyManagerFactory(vertx);
            for (KeyManager manager : factory.getKeyManagers()) {
                if (manager instanceof X509KeyManager x509) {
                    keys = x509;
                }
            }
        } catch (Exception e) {
            throw new Rejected("the certificate or the key cannot be parsed (" + e.getClass().getSimpleName()
                    + (e.getMessage() == null ? "" : ": " + e.getMessage()) + ")", e);
        }
        PrivateKey privateKey = null;
        X509Certificate leaf = null;
        if (keys != null) {
            for (String type : new String[] {"RSA", "EC", "EdDSA", "Ed25519", "RSASSA-PSS"}) {
                String[] aliases = keys.getServerAliases(type, null);
                if (aliases != null && aliases.length > 0) {
                    privateKey = keys.getPrivateKey(aliases[0]);
                    X509Certificate[] chain = keys.getCertificateChain(aliases[0]);
                    leaf = chain == null || chain.length == 0 ? null : chain[0];
                    break;
                }
            }
        }
        if (privateKey == null || leaf == null) {
            throw new Rejected("the PEM files hold no certificate with a private key");
        }
        if (!matches(privateKey, leaf.getPublicKey())) {
            throw new Rejected("the private key does not match the certificate (" + describe(leaf) + ")");
        }
        Instant notAfter = leaf.getNotAfter().toInstant();
        if (!notAfter.isAfter(now)) {
            throw new Rejected("the certificate expired at " + notAfter + " (" + describe(leaf) + ")");
        }
        Instant notBefore = leaf.getNotBefore().toInstant();
        if (notBefore.isAfter(now.plus(NOT_BEFORE_SKEW))) {
            throw new Rejected("the certificate is not valid before " + notBefore + " (" + describe(leaf) + ")");
        }
        return new ServingCertificate(leaf, fingerprint(cert, key));
    }

    /** Signs a random challenge with the key and verifies it with the certificate's public key. */
    private static boolean matches(PrivateKey privateKey, PublicKey publicKey) throws Rejected {
        String algorithm = switch (privateKey.getAlgorithm()) {
            case "RSA" -> "SHA256withRSA";
            case "RSASSA-PSS" -> "RSASSA-PSS";
            case "EC" -> "SHA256withECDSA";
            case "Ed25519", "EdDSA" -> "Ed25519";
            case "Ed448" -> "Ed448";
            default -> null;
        };
        if (algorithm == null) {
            throw new Rejected("unsupported key algorithm " + privateKey.getAlgorithm());
        }
        if (!privateKey.getAlgorithm().equals(publicKey.getAlgorithm())
                && !("EdDSA".equals(publicKey.getAlgorithm()) || "EdDSA".equals(privateKey.getAlgorithm()))) {
            return false;
        }
        try {
            byte[] challenge = new byte[32];
            new SecureRandom().nextBytes(challenge);
            Signature signer = Signature.getInstance(algorithm);
            if ("RSASSA-PSS".equals(algorithm)) {
                signer.setParameter(new java.security.spec.PSSParameterSpec("SHA-256", "MGF1",
                        java.security.spec.MGF1ParameterSpec.SHA256, 32, 1));
            }
            signer.initSign(privateKey);
            signer.update(challenge);
            byte[] signature = signer.sign();
            Signature verifier = Signature.getInstance(algorithm);
            if ("RSASSA-PSS".equals(algorithm)) {
                verifier.setParameter(new java.security.spec.PSSParameterSpec("SHA-256", "MGF1",
                        java.security.spec.MGF1ParameterSpec.SHA256, 32, 1));
            }
            verifier.initVerify(publicKey);
            verifier.update(challenge);
            return verifier.verify(signature);
        } catch (java.security.GeneralSecurityException e) {
            return false;
        }
    }

    static String describe(X509Certificate certificate) {
        return "subject " + certificate.getSubjectX500Principal().getName() + ", serial "
                + certificate.getSerialNumber().toString(16) + ", valid until " + certificate.getNotAfter().toInstant();
    }

    Instant notAfter() {
        return leaf.getNotAfter().toInstant();
    }
}
