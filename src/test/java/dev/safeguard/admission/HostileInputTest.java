package dev.safeguard.admission;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.safeguard.SampleManifests;
import dev.safeguard.TestNetwork;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.TestProfile;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.CompletableFuture;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.eclipse.microprofile.config.ConfigProvider;
import org.junit.jupiter.api.Test;

/**
 * What an attacker (or an absurd manifest) sends the webhook, and what must hold: every review is answered
 * with an AdmissionReview, in time, without echoing attacker-sized data, without unbounded metric series,
 * and without slowing down everybody else.
 */
@QuarkusTest
@TestProfile(HostileInputProfile.class)
@QuarkusTestResource(value = TestTls.class, restrictToAnnotatedClass = true)
class HostileInputTest extends WebhookTestBase {

    static final String CARELESS = SampleManifests.careless("shop", "shop-api");
    static final String COMPLIANT = SampleManifests.compliant("shop", "web");

    @Test
    void slowCustomRuleIsAnsweredAtTheDeadlineWhileOtherReviewsStayFast() throws Exception {
        double before = MetricsScrape.value(MetricsScrape.scrape(), "safeguard_admission_internal_errors_total",
                "reason=\"deadline\"");
        ObjectNode slow = Reviews.yaml(COMPLIANT);
        // ~6 s of quadratic string work here; the deadline is 1.5 s
        ((ObjectNode) slow.path("metadata")).putObject("annotations")
                .put(HostileInputProfile.SLOW_ANNOTATION, "a".repeat(45_000));
        String slowReview = Reviews.review("CREATE", slow, null, false);
        HttpClient client = client(HttpClient.Version.HTTP_1_1);
        long started = System.nanoTime();
        CompletableFuture<HttpResponse<String>> slowAnswer = client.sendAsync(request(slowReview),
                HttpResponse.BodyHandlers.ofString());
        Thread.sleep(200);

        List<Long> others = new ArrayList<>();
        for (int i = 0; i < 20; i++) {
            long one = System.nanoTime();
            JsonNode response = post(Reviews.create(i % 2 == 0 ? COMPLIANT : CARELESS));
            others.add((System.nanoTime() - one) / 1_000_000);
            assertThat(response.path("allowed").asBoolean()).isEqualTo(i % 2 == 0);
        }

        HttpResponse<String> answer = slowAnswer.get();
        long tookMillis = (System.nanoTime() - started) / 1_000_000;
        assertThat(answer.statusCode()).isEqualTo(200);
        JsonNode response = Reviews.JSON.readTree(answer.body()).path("response");
        assertThat(response.path("uid").asText()).isEqualTo(Reviews.uidOf(slowReview));
        // on-internal-error=allow (the default): allowed, and the user is told why
        assertThat(response.path("allowed").asBoolean()).isTrue();
        assertThat(texts(response.path("warnings"))).anyMatch(w -> w.contains("not decided within the 1500ms deadline"));
        // the rule alone needs several seconds more than that
        assertThat(tookMillis).as("answered at the deadline, not when the rule is done")
                .isBetween(HostileInputProfile.DEADLINE_MILLIS - 100, HostileInputProfile.DEADLINE_MILLIS + 2_500);
        // none of them waited for the slow one (each well below the deadline), and typically a few ms
        assertThat(others).as("other reviews (ms) while the slow rule runs").allMatch(ms -> ms < 1_500);
        assertThat(others.stream().sorted().toList().get(others.size() / 2)).as("median (ms)").isLessThan(300L);
        double after = MetricsScrape.value(MetricsScrape.scrape(), "safeguard_admission_internal_errors_total",
                "reason=\"deadline\"");
        assertThat(after - before).isEqualTo(1.0);
    }

    @Test
    void capabilityListPastTheListLimitIsDeniedBeforeAnyRuleRuns() {
        // The fail-open bypass: SYS_ADMIN after 7,200 copies of an allowed capability.
        ObjectNode deployment = Reviews.yaml(COMPLIANT);
        ArrayNode add = ((ObjectNode) deployment.at("/spec/template/spec/containers/0/securityContext/capabilities"))
                .putArray("add");
        for (int i = 0; i < 7_200; i++) {
            add.add("NET_BIND_SERVICE");
        }
        add.add("SYS_ADMIN");
        long started = System.nanoTime();
        JsonNode response = post(Reviews.review("CREATE", deployment, null, false));
        assertThat((System.nanoTime() - started) / 1_000_000).isLessThan(2_000);
        assertThat(response.path("allowed").asBoolean()).isFalse();
        assertThat(response.path("status").path("message").asText())
                .startsWith("Deployment shop/web is too large for kube-safeguard to judge: ")
                .contains("spec.template.spec.containers[0].securityContext.capabilities.add has more than 5,000 items")
                .contains("safeguard.admission.limits.max-list-items");
    }

    @Test
    void twentyThousandContainersAreRefusedQuicklyByName() {
        ObjectNode deployment = Reviews.yaml(CARELESS);
        ArrayNode containers = (ArrayNode) deployment.at("/spec/template/spec/containers");
        for (int i = 0; i < 300; i++) {
            containers.addObject().put("name", "c" + i).put("image", "busybox:1.36");
        }
        JsonNode response = post(Reviews.review("CREATE", deployment, null, false));
        assertThat(response.path("allowed").asBoolean()).isFalse();
        assertThat(response.path("status").path("message").asText())
                .contains("spec.template.spec has 301 containers (init, app and ephemeral), more than the 200")
                .contains("safeguard.admission.limits.max-containers");

        ObjectNode many = Reviews.yaml(CARELESS);
        ArrayNode list = (ArrayNode) many.at("/spec/template/spec/containers");
        for (int i = 0; i < 20_000; i++) {
            list.addObject().put("name", "c" + i).put("image", "busybox:1.36");
        }
        long started = System.nanoTime();
        response = post(Reviews.review("CREATE", many, null, false));
        assertThat((System.nanoTime() - started) / 1_000_000).isLessThan(2_000);
        assertThat(response.path("status").path("message").asText())
                .contains("spec.template.spec.containers has more than 5,000 items");
    }

    @Test
    void attackerSizedImageNameIsNeverEchoedWhole() {
        ObjectNode deployment = Reviews.yaml(CARELESS);
        String huge = "registry.example.com/" + "x".repeat(7 * 1024 * 1024) + ":latest";
        ((ObjectNode) deployment.at("/spec/template/spec/containers/0")).put("image", huge);
        String body = webhook().body(Reviews.review("CREATE", deployment, null, false)).post("/validate")
                .then().statusCode(200).extract().asString();
        assertThat(body.length()).isLessThan(4_096);
        assertThat(body).contains("holds a string longer than 262,144 characters")
                .contains("spec.template.spec.containers[0].image");

        // Under the string limit, the rules run, and their messages are capped line by line.
        String long200k = "registry.example.com/" + "y".repeat(200_000) + ":latest";
        ((ObjectNode) deployment.at("/spec/template/spec/containers/0")).put("image", long200k);
        JsonNode response = post(Reviews.review("CREATE", deployment, null, false));
        String message = response.path("status").path("message").asText();
        assertThat(response.path("allowed").asBoolean()).isFalse();
        assertThat(message).contains("[image-tag]").contains("more characters)");
        assertThat(message.length()).isLessThanOrEqualTo(Messages.MAX_STATUS_MESSAGE);
        assertThat(message.lines()).allMatch(line -> line.length() <= Messages.MAX_DENIAL_LINE);
        assertThat(texts(response.path("warnings"))).allMatch(w -> w.length() <= AdmissionResponses.MAX_WARNING_LENGTH);
    }

    @Test
    void manyLongViolationsEndWithAndNMore() {
        // 15 custom rules echo a 5,000-character annotation in their messages.
        ObjectNode pod = Reviews.yaml("""
                apiVersion: v1
                kind: Pod
                metadata: {name: p, namespace: shop}
                spec:
                  containers: [{name: app, image: registry.example.com/app:1.0}]
                """);
        ((ObjectNode) pod.path("metadata")).putObject("annotations")
                .put(HostileInputProfile.ECHO_ANNOTATION, "e".repeat(5_000));
        JsonNode response = post(Reviews.review("CREATE", pod, null, false));
        String message = response.path("status").path("message").asText();
        assertThat(response.path("allowed").asBoolean()).isFalse();
        assertThat(message).startsWith("Pod shop/p violates ");
        assertThat(message.length()).isLessThanOrEqualTo(Messages.MAX_STATUS_MESSAGE);
        assertThat(message.lines()).allMatch(line -> line.length() <= Messages.MAX_DENIAL_LINE);
        assertThat(message).containsPattern("\\n\\.\\.\\. and \\d+ more \\(the webhook log");
    }

    @Test
    void randomKindsOperationsAndNamespacesAddABoundedNumberOfSeries() throws Exception {
        Random random = new Random(42);
        int before = series(MetricsScrape.scrape()).size();
        for (int i = 0; i < 600; i++) {
            String namespace = "ns-" + Long.toHexString(random.nextLong());
            ObjectNode object = Reviews.yaml(CARELESS.replace("namespace: shop", "namespace: " + namespace));
            if (i % 2 == 1) {
                object.put("kind", "Kind" + Long.toHexString(random.nextLong()));
            }
            String review = Reviews.review("CREATE", object, null, false);
            if (i % 3 == 2) {
                review = review.replace("\"operation\":\"CREATE\"", "\"operation\":\"OP" + random.nextInt(1_000_000) + "\"");
            }
            webhook().body(review).post("/validate").then().statusCode(200);
        }
        String text = MetricsScrape.scrape();
        Set<String> series = series(text);
        assertThat(series.size() - before).as("new series after 600 random reviews").isLessThan(150);
        assertThat(labelValues(text, "safeguard_admission_rejections_total", "namespace"))
                .hasSizeLessThanOrEqualTo(HostileInputProfile.MAX_NAMESPACES + 1).contains("other");
        assertThat(labelValues(text, "safeguard_admission_requests_total", "kind")).contains("other")
                .noneMatch(kind -> kind.startsWith("Kind"));
        assertThat(labelValues(text, "safeguard_admission_requests_total", "operation"))
                .isSubsetOf("CREATE", "UPDATE", "DELETE", "CONNECT", "other");
    }

    @Test
    void bodyOverTheLimitOnHttp2Gets413AndTheConnectionLives() throws Exception {
        HttpClient client = client(HttpClient.Version.HTTP_2);
        // warm the connection up: HTTP/2 is negotiated with ALPN
        HttpResponse<String> first = client.send(request(Reviews.create(COMPLIANT)), HttpResponse.BodyHandlers.ofString());
        assertThat(first.version()).isEqualTo(HttpClient.Version.HTTP_2);
        byte[] huge = ("{\"padding\":\"" + "x".repeat(9 * 1024 * 1024) + "\"}").getBytes(StandardCharsets.UTF_8);
        CompletableFuture<HttpResponse<String>> other = client.sendAsync(request(Reviews.create(CARELESS)),
                HttpResponse.BodyHandlers.ofString());
        HttpResponse<String> refused = client.send(HttpRequest.newBuilder(uri())
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofByteArray(huge)).build(), HttpResponse.BodyHandlers.ofString());
        assertThat(refused.statusCode()).isEqualTo(413);
        assertThat(refused.body()).contains("over the limit of 8388608 bytes");
        assertThat(other.get().statusCode()).isEqualTo(200);
        HttpResponse<String> after = client.send(request(Reviews.create(COMPLIANT)), HttpResponse.BodyHandlers.ofString());
        assertThat(after.statusCode()).isEqualTo(200);
        assertThat(after.version()).isEqualTo(HttpClient.Version.HTTP_2);
    }

    static Set<String> series(String text) {
        Set<String> series = new TreeSet<>();
        text.lines().filter(line -> line.startsWith("safeguard_")).forEach(line -> series.add(line.substring(0,
                line.lastIndexOf(' '))));
        return series;
    }

    static Set<String> labelValues(String text, String metric, String label) {
        Set<String> values = new TreeSet<>();
        Matcher matcher = Pattern.compile("^" + Pattern.quote(metric) + "\\{[^}]*\\b" + label + "=\"([^\"]*)\"",
                Pattern.MULTILINE).matcher(text);
        while (matcher.find()) {
            values.add(matcher.group(1));
        }
        return values;
    }

    static URI uri() {
        int port = ConfigProvider.getConfig().getValue("quarkus.http.test-ssl-port", Integer.class);
        return URI.create("https://localhost:" + port + "/validate");
    }

    static HttpRequest request(String review) {
        return HttpRequest.newBuilder(uri()).header("Content-Type", "application/json")
                .timeout(Duration.ofSeconds(30))
                .POST(HttpRequest.BodyPublishers.ofString(review)).build();
    }

    static HttpClient client(HttpClient.Version version) throws Exception {
        return HttpClient.newBuilder().version(version).sslContext(TestNetwork.trustAll())
                .connectTimeout(Duration.ofSeconds(10)).build();
    }
}
