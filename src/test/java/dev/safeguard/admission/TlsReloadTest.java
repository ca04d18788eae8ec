package dev.safeguard.admission;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import dev.safeguard.TestNetwork;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.TestProfile;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import javax.net.ssl.SSLSocket;
import org.eclipse.microprofile.config.ConfigProvider;
import org.junit.jupiter.api.Test;

/**
 * Certificate rotation as the kubelet does it (an atomic swap of the Secret's files): a broken pair (key of
 * another certificate, garbage, expired) is refused, counted and shown by readiness while the previous
 * certificate keeps serving; a good pair is served without a restart.
 */
@QuarkusTest
@TestProfile(TlsReloadProfile.class)
class TlsReloadTest extends WebhookTestBase {

    @Test
    void brokenPairsAreRefusedAndTheGoodOneIsServed() throws Exception {
        TlsFiles.Pair first = TlsReloadProfile.FIRST;
        assertThat(served().getSerialNumber()).isEqualTo(first.certificate().getSerialNumber());
        String metrics = MetricsScrape.scrape();
        double expiry = MetricsScrape.value(metrics, "safeguard_tls_cert_expiry_seconds");
        assertThat(expiry).isBetween(2 * 86_400.0 - 600, 2 * 86_400.0);

        // 1. a new certificate with the old key: every handshake would fail
        TlsFiles.Pair second = TlsFiles.valid("second.example");
        TlsFiles.mount(TlsReloadProfile.MOUNT, 2, second.certPem(), first.keyPem());
        await().atMost(Duration.ofSeconds(10)).until(() -> rejected() == 1.0);
        assertThat(readinessTls().path("data").path("files").asText())
                .startsWith("rejected: the private key does not match the certificate (subject CN=second.example");
        assertThat(readinessTls().path("status").asText()).isEqualTo("UP");
        assertThat(served().getSerialNumber()).isEqualTo(first.certificate().getSerialNumber());
        assertThat(post(Reviews.create(ValidateResourceTest.COMPLIANT)).path("allowed").asBoolean()).isTrue();
        Thread.sleep(1_000); // five more checks of the same files: counted (and logged) once
        assertThat(rejected()).isEqualTo(1.0);

        // 2. garbage
        TlsFiles.mount(TlsReloadProfile.MOUNT, 3, "-----BEGIN CERTIFICATE-----\nbm90IGEgY2VydA==\n-----END CERTIFICATE-----\n",
                first.keyPem());
        await().atMost(Duration.ofSeconds(10)).until(() -> rejected() == 2.0);
        assertThat(readinessTls().path("data").path("files").asText()).contains("cannot be parsed");

        // 3. expired
        TlsFiles.Pair expired = TlsFiles.pair("expired.example", Instant.now().minus(Duration.ofDays(30)),
                Instant.now().minus(Duration.ofDays(1)));
        TlsFiles.mount(TlsReloadProfile.MOUNT, 4, expired.certPem(), expired.keyPem());
        await().atMost(Duration.ofSeconds(10)).until(() -> rejected() == 3.0);
        assertThat(readinessTls().path("data").path("files").asText()).contains("the certificate expired at");
        assertThat(served().getSerialNumber()).isEqualTo(first.certificate().getSerialNumber());

        // 4. a good renewal is served without a restart
        TlsFiles.Pair third = TlsFiles.pair("third.example", Instant.now().minus(Duration.ofMinutes(1)),
                Instant.now().plus(Duration.ofDays(30)));
        TlsFiles.mount(TlsReloadProfile.MOUNT, 5, third.certPem(), third.keyPem());
        await().atMost(Duration.ofSeconds(10)).ignoreExceptions()
                .until(() -> served().getSerialNumber().equals(third.certificate().getSerialNumber()));
        String after = MetricsScrape.scrape();
        assertThat(MetricsScrape.value(after, "safeguard_tls_reloads_total", "result=\"success\"")).isEqualTo(1.0);
        assertThat(MetricsScrape.value(after, "safeguard_tls_cert_expiry_seconds")).isBetween(30 * 86_400.0 - 600, 30 * 86_400.0);
        assertThat(readinessTls().path("data").path("files").asText()).isEqualTo("serving");
        assertThat(readinessTls().path("data").path("subject").asText()).isEqualTo("CN=third.example");
        assertThat(post(Reviews.create(ValidateResourceTest.COMPLIANT)).path("allowed").asBoolean()).isTrue();
    }

    static double rejected() {
        return MetricsScrape.value(MetricsScrape.scrape(), "safeguard_tls_reloads_total", "result=\"rejected\"");
    }

    static JsonNode readinessTls() throws Exception {
        String body = management().get("/q/health/ready").then().extract().asString();
        for (JsonNode check : Reviews.JSON.readTree(body).path("checks")) {
            if ("tls".equals(check.path("name").asText())) {
                return check;
            }
        }
        throw new AssertionError("no tls readiness check in " + body);
    }

    /** The certificate the webhook port presents in a fresh handshake. */
    static X509Certificate served() throws Exception {
        int port = ConfigProvider.getConfig().getValue("quarkus.http.test-ssl-port", Integer.class);
        try (SSLSocket socket = (SSLSocket) TestNetwork.trustAll().getSocketFactory()
                .createSocket("localhost", port)) {
            socket.setSoTimeout(5_000);
            socket.startHandshake();
            return (X509Certificate) socket.getSession().getPeerCertificates()[0];
        }
    }
}
