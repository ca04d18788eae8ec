package dev.safeguard.admission;

import io.restassured.RestAssured;
import io.restassured.specification.RequestSpecification;
import org.eclipse.microprofile.config.ConfigProvider;

/** Points REST Assured at the webhook's TLS port (plain HTTP is switched off) with the test certificate. */
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
}
