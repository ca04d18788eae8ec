package dev.safeguard.packaged;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.safeguard.admission.HostileInputProfile;
import java.net.http.HttpResponse;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;

/**
 * SIGTERM to the packaged webhook, as the kubelet sends it after the preStop sleep: readiness goes DOWN at
 * once, reviews keep being answered on the connections already open for the drain delay, the review in
 * flight is finished, and the process exits by itself. No request is dropped.
 */
class GracefulShutdownIT {

    static final String POLICY = """
            apiVersion: safeguard.dev/v1alpha1
            kind: SafeguardPolicy
            metadata: {name: shutdown}
            spec:
              mode: enforce
              customRules:
            """ + HostileInputProfile.SLOW_ANNOTATION_RULE;

    record Sent(long atMillis, int status, String failure) {
    }

    @Test
    void noReviewIsDroppedAcrossSigterm() throws Exception {
        try (PackagedWebhook webhook = PackagedWebhook.start("shutdown", "-Xmx256m",
                Map.of("QUARKUS_SHUTDOWN_DELAY", "3s", "QUARKUS_SHUTDOWN_TIMEOUT", "20s",
                        "SAFEGUARD_ADMISSION_DEADLINE", "20s"), POLICY)) {
            // warm up, and check that the slow rule takes a while: it is the review in flight at SIGTERM
            assertThat(webhook.post(SampleReviews.sample(null, null)).statusCode()).isEqualTo(200);
            String slow = SampleReviews.sample("safeguard.test/slow", "a".repeat(30_000));

            // A client posting reviews one after the other on its kept-alive connection.
            List<Sent> sent = new CopyOnWriteArrayList<>();
            AtomicBoolean stop = new AtomicBoolean();
            long[] sigterm = {Long.MAX_VALUE};
            Thread client = new Thread(() -> {
                while (!stop.get()) {
                    long at = System.nanoTime();
                    try {
                        HttpResponse<String> response = webhook.post(SampleReviews.sample(null, null));
                        sent.add(new Sent(at / 1_000_000, response.statusCode(), null));
                    } catch (Exception e) {
                        sent.add(new Sent(at / 1_000_000, -1, e.toString()));
                    }
                    try {
                        Thread.sleep(20);
                    } catch (InterruptedException e) {
                        return;
                    }
                }
            });
            client.start();
            CompletableFuture<HttpResponse<String>> inFlight = webhook.client.sendAsync(webhook.review(slow),
                    HttpResponse.BodyHandlers.ofString());
            Thread.sleep(500);

            sigterm[0] = System.nanoTime() / 1_000_000;
            webhook.terminate();

            // readiness DOWN at once, while reviews are still answered
            long down = -1;
            for (int i = 0; i < 40 && down < 0; i++) {
                int status = webhook.readyStatus();
                if (status == 503) {
                    down = System.nanoTime() / 1_000_000 - sigterm[0];
                }
                Thread.sleep(50);
            }
            assertThat(down).as("ms from SIGTERM until readiness reports DOWN").isBetween(0L, 1_000L);

            HttpResponse<String> slowAnswer = inFlight.get(30, TimeUnit.SECONDS);
            assertThat(slowAnswer.statusCode()).as("the review in flight at SIGTERM").isEqualTo(200);
            JsonNode response = SampleReviews.JSON.readTree(slowAnswer.body()).path("response");
            assertThat(response.path("uid").asText()).isEqualTo(SampleReviews.uid(slow));
            assertThat(response.path("status").path("message").asText()).contains("[replicas-spread]")
                    .doesNotContain("not decided");

            assertThat(webhook.process.waitFor(30, TimeUnit.SECONDS)).as("the process exits by itself").isTrue();
            stop.set(true);
            client.join(10_000);

            List<Sent> beforeDrainEnds = sent.stream()
                    .filter(s -> s.atMillis() >= sigterm[0] - 2_000 && s.atMillis() < sigterm[0] + 2_500).toList();
            assertThat(beforeDrainEnds).as("reviews sent from 2 s before SIGTERM to 2.5 s after (drain delay 3 s)")
                    .hasSizeGreaterThan(20)
                    .allSatisfy(s -> assertThat(s.status()).as(s.toString()).isEqualTo(200));
            assertThat(webhook.log()).contains("Graceful Shutdown").doesNotContain("Timed out waiting for graceful shutdown");
        }
    }
}
