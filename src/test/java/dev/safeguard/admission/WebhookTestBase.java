package dev.safeguard.admission;

import static org.assertj.core.api.Assertions.assertThat;
import static org.hamcrest.Matchers.containsString;

import com.fasterxml.jackson.databind.JsonNode;
import io.restassured.RestAssured;
import io.restassured.specification.RequestSpecification;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import org.eclipse.microprofile.config.ConfigProvider;

/** What webhook tests share: REST Assured on the TLS port (plain HTTP is off) and the management port, and posting a review. */
abstract class WebhookTestBase {

    static RequestSpecification webhook() {
        int port = ConfigProvider.getConfig().getValue("quarkus.http.test-ssl-port", Integer.class);
        return RestAssured.given().relaxedHTTPSValidation().baseUri("https://localhost").port(port)
                .contentType("application/json");
    }

    static RequestSpecification management() {
        int port = ConfigProvider.getConfig().getOptionalValue("quarkus.management.test-port", Integer.class).orElse(9001);
        return RestAssured.given().baseUri("http://localhost").port(port);
    }

    /** Posts a review, checks the envelope (apiVersion, kind, uid echoed) and returns its response. */
    static JsonNode post(String review) {
        String body = webhook().body(review).post("/validate").then().statusCode(200)
                .contentType(containsString("application/json")).extract().asString();
        try {
            JsonNode response = Reviews.JSON.readTree(body);
            assertThat(response.path("apiVersion").asText()).isEqualTo("admission.k8s.io/v1");
            assertThat(response.path("kind").asText()).isEqualTo("AdmissionReview");
            assertThat(response.path("response").path("uid").asText()).isEqualTo(Reviews.uidOf(review));
            return response.path("response");
        } catch (IOException e) {
            throw new AssertionError("response is not JSON: " + body, e);
        }
    }

    /** The strings of a JSON array (warnings). */
    static List<String> texts(JsonNode array) {
        List<String> texts = new ArrayList<>();
        array.forEach(node -> texts.add(node.asText()));
        return texts;
    }
}
