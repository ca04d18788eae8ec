package dev.safeguard.admission;

import static org.assertj.core.api.Assertions.assertThat;

import dev.safeguard.SampleManifests;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class ReviewScanTest {

    static final InputLimits SMALL = new InputLimits(8, 500, 10, 100, 3, 2);

    static ReviewScan.Result scan(InputLimits limits, String body) {
        return new ReviewScan(limits).scan(body.getBytes(StandardCharsets.UTF_8));
    }

    @Test
    void findsTheRequestFieldsOfAReviewWithinLimits() {
        String review = Reviews.create(SampleManifests.compliant("shop", "web"));
        ReviewScan.Result result = scan(InputLimits.DEFAULTS, review);
        assertThat(result.exceeded()).isNull();
        assertThat(result.malformed()).isFalse();
        assertThat(result.uid()).isEqualTo(Reviews.uidOf(review));
        assertThat(result.operation()).isEqualTo("CREATE");
        assertThat(result.kind()).isEqualTo("Deployment");
        assertThat(result.namespace()).isEqualTo("shop");
        assertThat(result.name()).isEqualTo("web");
    }

    @Test
    void headerReadsTheRequestFieldsWithoutLookingIntoTheObjects() {
        String review = Reviews.create(SampleManifests.compliant("shop", "web"));
        ReviewScan.Result header = new ReviewScan(SMALL).header(review.getBytes(StandardCharsets.UTF_8));
        assertThat(header.uid()).isEqualTo(Reviews.uidOf(review));
        assertThat(header.operation()).isEqualTo("CREATE");
        assertThat(header.kind()).isEqualTo("Deployment");
        assertThat(header.namespace()).isEqualTo("shop");
        assertThat(header.name()).isEqualTo("web");
        assertThat(header.exceeded()).isNull();
    }

    @Test
    void namesTheListThatIsTooLong() {
        String body = "{\"request\":{\"uid\":\"u\",\"object\":{\"spec\":{\"containers\":[{\"args\":"
                + "[1,2,3,4,5,6,7,8,9,10,11]}]}}}}";
        ReviewScan.Result result = scan(SMALL, body);
        assertThat(result.uid()).isEqualTo("u");
        assertThat(result.exceeded().limit()).isEqualTo("list-items");
        assertThat(result.exceeded().message())
                .isEqualTo("object.spec.containers[0].args has more than 10 items (safeguard.admission.limits.max-list-items)");
    }

    @Test
    void namesTheStringThatIsTooLong() {
        String body = "{\"request\":{\"uid\":\"u\",\"object\":{\"spec\":{\"containers\":[{\"image\":\"i\"},"
                + "{\"image\":\"" + "x".repeat(5_000) + "\"}]}}}}";
        ReviewScan.Result result = scan(SMALL, body);
        assertThat(result.exceeded().limit()).isEqualTo("string-length");
        assertThat(result.exceeded().message()).startsWith("object.spec.containers[1].image holds a string longer than 100")
                .doesNotContain("xxxxxxxxxx");
    }

    @Test
    void namesWhereTheNestingIsTooDeep() {
        String body = "{\"request\":{\"uid\":\"u\",\"object\":{\"a\":{\"b\":{\"c\":{\"d\":{\"e\":[[[1]]]}}}}}}}";
        ReviewScan.Result result = scan(SMALL, body);
        assertThat(result.exceeded().limit()).isEqualTo("depth");
        assertThat(result.exceeded().message()).startsWith("object.a.b.c.d.e[0] nests deeper than 8 levels");
        // 200,000 levels: refused by the scan, without recursion
        String deep = "{\"request\":{\"uid\":\"u\",\"object\":{\"a\":" + "[".repeat(200_000) + "]".repeat(200_000) + "}}}";
        assertThat(scan(InputLimits.DEFAULTS, deep).exceeded().limit()).isEqualTo("depth");
    }

    @Test
    void countsEveryValueInTheReview() {
        StringBuilder body = new StringBuilder("{\"request\":{\"uid\":\"u\",\"object\":{");
        for (int i = 0; i < 600; i++) {
            body.append(i == 0 ? "" : ",").append("\"k").append(i).append("\":").append(i);
        }
        ReviewScan.Result result = scan(SMALL, body.append("}}}").toString());
        assertThat(result.exceeded().limit()).isEqualTo("values");
    }

    @Test
    void malformedJsonIsLeftToTheReader() {
        ReviewScan.Result result = scan(SMALL, "{\"request\":{\"uid\":\"u\",");
        assertThat(result.malformed()).isTrue();
        assertThat(result.uid()).isEqualTo("u");
    }

    @Test
    void kubernetesLimitsNameTheContainerList() {
        java.util.Map<String, Object> object = dev.safeguard.rules.ObjectTree.of(
                Reviews.yaml(SampleManifests.careless("shop", "api")));
        java.util.Optional<InputLimits.Exceeded> exceeded = new InputLimits(64, 1000, 100, 1000, 0, 2).check(object);
        assertThat(exceeded).isPresent();
        assertThat(exceeded.get().message()).isEqualTo("spec.template.spec has 1 containers (init, app and ephemeral), "
                + "more than the 0 kube-safeguard judges (safeguard.admission.limits.max-containers)");
    }

    @Test
    void capsKeepTheStartAndSayHowMuchIsLeftOut() {
        assertThat(Messages.cap("short", 10)).isEqualTo("short");
        String capped = Messages.cap("x".repeat(10_000), 100);
        assertThat(capped).hasSize(100).endsWith("... (9926 more characters)");
        assertThat(Messages.join(java.util.List.of("a", "b", "c", "d"), 2)).isEqualTo("a, b ... and 2 more");
    }
}
