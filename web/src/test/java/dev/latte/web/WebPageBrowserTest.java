package dev.latte.web;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.latte.encoders.BundledModel;
import dev.latte.encoders.OnnxTokenEncoder;
import java.io.File;
import java.net.http.HttpClient;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.openqa.selenium.By;
import org.openqa.selenium.Keys;
import org.openqa.selenium.OutputType;
import org.openqa.selenium.TakesScreenshot;
import org.openqa.selenium.WebDriver;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.chrome.ChromeOptions;
import org.openqa.selenium.support.ui.ExpectedConditions;
import org.openqa.selenium.support.ui.Select;
import org.openqa.selenium.support.ui.WebDriverWait;

/**
 * The search page at {@code /}, end to end in a real headless Chromium: it lists the indexes,
 * searches, highlights the matched spans with {@code <mark>}, renders document text as text (never
 * as HTML) and shows the query × document token alignment heatmap. Needs Debian's {@code chromium}
 * and {@code chromium-driver} (paths overridable with {@code -Dlatte.chromium=} and {@code
 * -Dlatte.chromedriver=}); skipped without them. Nothing is downloaded: Selenium gets both paths
 * explicitly, so Selenium Manager never runs. Leaves a screenshot in {@code
 * target/screenshots/search.png}.
 */
class WebPageBrowserTest {
  static final Path CHROMIUM = Path.of(System.getProperty("latte.chromium", "/usr/bin/chromium"));
  static final Path CHROMEDRIVER =
      Path.of(System.getProperty("latte.chromedriver", "/usr/bin/chromedriver"));

  @TempDir static Path tmp;
  static OnnxTokenEncoder encoder;
  static IndexRegistry registry;
  static LatteService service;
  static WebDriver driver;
  static final HttpClient http = HttpClient.newHttpClient();
  static final ObjectMapper json = new ObjectMapper();

  /** Long enough for a snippet; the best match sits in the middle. */
  static final String LONG_TEXT =
      "We walked for hours along the ridge, talking about the weather, the maps we had forgotten"
          + " and the sandwiches we had not. The path climbed through heather and loose scree,"
          + " past a shepherd's hut with a collapsed roof and a spring that tasted of iron. Near"
          + " the summit the rock changed: black obsidian, volcanic glass with edges sharp enough"
          + " to cut, lay in sheets among the pumice. Somebody picked up a piece and held it to"
          + " the light. On the way down it rained, the scree turned slippery, and by the time we"
          + " reached the car park nobody remembered who had suggested the walk in the first"
          + " place, or why anyone had agreed to come along in such weather at all.";

  static final String[][] DOCS = {
    {
      "espresso",
      "Espresso",
      "Espresso is coffee brewed by forcing hot water through finely ground beans, topped with"
          + " crema."
    },
    {"tea", "Green tea", "Green tea leaves are steamed and dried; the brew is pale and grassy."},
    {"bread", "Sourdough bread", "Sourdough bread rises with wild yeast and lactic bacteria."},
    {"bike", "Bicycle repair", "Fix a flat tyre: remove the wheel, patch the inner tube, inflate."},
    {"whale", "Blue whale", "The blue whale is the largest animal known to have ever lived."},
    {"volcano", "Volcanoes", "Magma rises through the crust and erupts as lava and ash."},
    {"chess", "Chess openings", "The Sicilian Defence answers the king's pawn with c5."},
    {"garden", "Tomato garden", "Tomatoes need sun, deep watering and support for their vines."},
    {"piano", "Piano practice", "Scales and arpeggios build finger independence at the piano."},
    {
      "markup",
      "Markup <b>bold</b> & friends",
      "A tag soup <img src=x onerror=\"window.pwned=1\"><script>window.pwned=2</script> about"
          + " tyres."
    },
    {"longread", "Field notes", LONG_TEXT},
  };

  @BeforeAll
  static void start() throws Exception {
    Assumptions.assumeTrue(
        Files.isExecutable(CHROMIUM) && Files.isExecutable(CHROMEDRIVER),
        "skipped: needs Chromium at "
            + CHROMIUM
            + " and ChromeDriver at "
            + CHROMEDRIVER
            + " (Debian: apt-get install chromium chromium-driver; .ci/run installs them)");
    encoder = OnnxTokenEncoder.load(BundledModel.folder(), 1, 2);
    registry = new IndexRegistry(tmp.resolve("data"), encoder, 1, 1, 200);
    service = new LatteService(registry, LatteService.Options.open()).start("127.0.0.1", 0);
    ok(send("POST", "/v1/indexes", "{\"name\": \"cafe\"}"), 201);
    var docs = json.createArrayNode();
    for (String[] d : DOCS) docs.addObject().put("id", d[0]).put("title", d[1]).put("text", d[2]);
    ok(send("POST", "/v1/indexes/cafe/documents", docs.toString()), 200);
    // The same documents with an XTR first stage, trained in the background once they are in.
    ok(
        send(
            "POST",
            "/v1/indexes",
            "{\"name\": \"cafe-xtr\", \"first_stages\": [\"xtr\"], \"train_after_documents\": "
                + DOCS.length
                + "}"),
        201);
    ok(send("POST", "/v1/indexes/cafe-xtr/documents", docs.toString()), 200);
    registry.get("cafe-xtr").awaitTraining();

    System.setProperty("webdriver.chrome.driver", CHROMEDRIVER.toString());
    ChromeOptions options = new ChromeOptions();
    options.setBinary(CHROMIUM.toFile());
    options.addArguments(
        "--headless=new",
        "--no-sandbox",
        "--disable-dev-shm-usage",
        "--window-size=1280,1400",
        "--user-data-dir=" + tmp.resolve("chromium-profile"));
    ChromeDriverService driverService =
        new ChromeDriverService.Builder()
            .usingDriverExecutable(new File(CHROMEDRIVER.toString()))
            .usingAnyFreePort()
            .build();
    driver = new ChromeDriver(driverService, options);
  }

  @AfterAll
  static void stop() throws Exception {
    if (driver != null) driver.quit();
    if (service != null) service.close();
    if (registry != null) registry.close();
    if (encoder != null) encoder.close();
  }

  static HttpResponse<String> send(String method, String path, String body) throws Exception {
    return TestHttp.send(service.port(), method, path, body, "application/json", null);
  }

  static JsonNode ok(HttpResponse<String> r, int status) throws Exception {
    return TestHttp.ok(r, status);
  }

  @Test
  void pageIsServedAsHtml() throws Exception {
    HttpResponse<String> r = send("GET", "/", null);
    assertEquals(200, r.statusCode());
    assertEquals(
        "text/html;charset=utf-8",
        r.headers()
            .firstValue("Content-Type")
            .orElse("")
            .replace(" ", "")
            .toLowerCase(Locale.ROOT));
    assertTrue(r.body().contains("id=\"q\""), "the page has the search box");
    assertFalse(r.body().contains("http://") || r.body().contains("https://"), "no external URLs");
  }

  @Test
  void searchHighlightsMatchesAndShowsTheAlignment() throws Exception {
    String query = "espresso crema";
    WebDriverWait wait = new WebDriverWait(driver, Duration.ofSeconds(30));
    driver.get("http://127.0.0.1:" + service.port() + "/");
    wait.until(
        ExpectedConditions.presenceOfElementLocated(By.cssSelector("#index option[value=cafe]")));
    new Select(driver.findElement(By.id("index"))).selectByValue("cafe");
    new Select(driver.findElement(By.id("method"))).selectByValue("maxsim-exact");
    driver.findElement(By.id("q")).sendKeys(query);
    driver.findElement(By.id("go")).click();
    List<WebElement> hits =
        wait.until(ExpectedConditions.numberOfElementsToBeMoreThan(By.cssSelector(".hit"), 0));

    // The page shows what the API answers, first hit first.
    JsonNode api =
        ok(
            send(
                "POST",
                "/v1/indexes/cafe/search",
                "{\"query\": \"" + query + "\", \"k\": 10, \"explain\": true}"),
            200);
    assertEquals(api.get("hits").size(), hits.size());
    WebElement first = hits.get(0);
    assertEquals("espresso", first.getAttribute("data-docid"));
    assertEquals("Espresso", first.findElement(By.cssSelector(".title")).getText());
    assertTrue(
        first.findElement(By.cssSelector(".text")).getText().startsWith("Espresso is coffee"),
        first.getText());

    // The matched spans are marked, and at least one is a query word.
    List<String> marks =
        first.findElements(By.tagName("mark")).stream()
            .map(m -> m.getText().toLowerCase(Locale.ROOT))
            .toList();
    assertTrue(
        marks.stream().anyMatch(m -> m.contains("espresso") || m.contains("crema")),
        "marks: " + marks);

    // The alignment: one row per query token, each with its similarity as a number.
    first.findElement(By.cssSelector(".toggle-alignment")).click();
    WebElement heatmap =
        wait.until(ExpectedConditions.visibilityOf(first.findElement(By.cssSelector(".heatmap"))));
    JsonNode matches = api.get("hits").get(0).get("explain").get("matches");
    List<WebElement> rows = heatmap.findElements(By.cssSelector("tbody tr"));
    assertEquals(matches.size(), rows.size());
    for (int i = 0; i < rows.size(); i++) {
      WebElement row = rows.get(i);
      JsonNode m = matches.get(i);
      assertEquals(m.get("query_token").asText(), row.findElement(By.tagName("th")).getText());
      List<WebElement> cells = row.findElements(By.cssSelector("td.cell"));
      assertEquals(1, cells.size(), "one best document token per query token");
      double sim = Double.parseDouble(cells.get(0).getText());
      assertEquals(m.get("similarity").asDouble(), sim, 0.0006);
      assertEquals(
          sim, Double.parseDouble(row.findElement(By.cssSelector("td.contrib")).getText()));
    }
    assertTrue(
        heatmap.findElements(By.cssSelector("thead th.dtok")).size() <= matches.size(),
        "columns are distinct best document tokens");
    List<String> queryTokens =
        heatmap.findElements(By.cssSelector("tbody th")).stream().map(WebElement::getText).toList();
    // Word pieces ("es", "##press", "##o"): glued back together they spell the query words.
    String glued = String.join(" ", queryTokens).replace(" ##", "");
    assertTrue(
        glued.contains("espresso") && glued.contains("crema"),
        "the query words are rows: " + queryTokens);

    screenshot("search.png");
  }

  @Test
  void documentTextIsRenderedAsTextNeverAsHtml() throws Exception {
    WebDriverWait wait = new WebDriverWait(driver, Duration.ofSeconds(30));
    driver.get("http://127.0.0.1:" + service.port() + "/");
    wait.until(
        ExpectedConditions.presenceOfElementLocated(By.cssSelector("#index option[value=cafe]")));
    new Select(driver.findElement(By.id("index"))).selectByValue("cafe");
    new Select(driver.findElement(By.id("method"))).selectByValue("bm25");
    driver.findElement(By.id("q")).sendKeys("tag soup markup bold");
    driver.findElement(By.id("go")).click();
    wait.until(
        ExpectedConditions.presenceOfElementLocated(By.cssSelector(".hit[data-docid=markup]")));
    WebElement hit = driver.findElement(By.cssSelector(".hit[data-docid=markup]"));
    assertEquals(
        "Markup <b>bold</b> & friends", hit.findElement(By.cssSelector(".title")).getText());
    assertTrue(hit.findElement(By.cssSelector(".text")).getText().contains("<script>"));
    assertTrue(
        driver.findElements(By.cssSelector("#results b, #results img, #results script")).isEmpty());
    assertNull(
        ((org.openqa.selenium.JavascriptExecutor) driver).executeScript("return window.pwned"));
  }

  static String base() {
    return "http://127.0.0.1:" + service.port();
  }

  static String param(String v) {
    return java.net.URLEncoder.encode(v, java.nio.charset.StandardCharsets.UTF_8);
  }

  static WebDriverWait waiting() {
    return new WebDriverWait(driver, Duration.ofSeconds(30));
  }

  /** Waits until the page has listed the indexes and applied its URL. */
  static void open(String pathAndQuery) {
    driver.get(base() + pathAndQuery);
    waiting()
        .until(
            ExpectedConditions.presenceOfElementLocated(
                By.cssSelector("#index[data-loaded=true]")));
  }

  /** The ids of the hits shown, read in one script (the list is replaced as a search answers). */
  @SuppressWarnings("unchecked")
  static List<String> shownIds() {
    return (List<String>)
        ((org.openqa.selenium.JavascriptExecutor) driver)
            .executeScript(
                "return Array.from(document.querySelectorAll('#results .hit'))"
                    + ".map(function (h) { return h.dataset.docid; });");
  }

  static List<String> apiIds(String index, String body) throws Exception {
    List<String> out = new java.util.ArrayList<>();
    ok(send("POST", "/v1/indexes/" + index + "/search", body), 200)
        .get("hits")
        .forEach(h -> out.add(h.get("docid").asText()));
    return out;
  }

  static String value(String id) {
    return driver.findElement(By.id(id)).getAttribute("value");
  }

  @Test
  void aPastedLinkReproducesTheSearchAndItsPage() throws Exception {
    open("/?index=cafe&q=" + param("tyre repair") + "&method=maxsim-exact&k=2&page=2");
    List<String> expected =
        apiIds(
            "cafe",
            "{\"query\": \"tyre repair\", \"method\": \"maxsim-exact\", \"k\": 2, \"from\": 2}");
    assertFalse(expected.isEmpty());
    waiting().until(d -> shownIds().equals(expected));
    assertEquals("tyre repair", value("q"));
    assertEquals("maxsim-exact", value("method"));
    assertEquals("2", value("k"));
    assertEquals(
        "#3", driver.findElement(By.cssSelector("#results .hit .rank")).getText(), "page 2 of 2");
    // A filter in the link applies too.
    String filter = "{\"term\": {\"lang\": \"none\"}}";
    open("/?index=cafe&q=" + param("espresso") + "&filter=" + param(filter));
    waiting().until(d -> d.findElement(By.id("status")).getText().startsWith("0 hits"));
    assertEquals(filter, value("filter"));
  }

  @Test
  void theBackButtonReturnsToTheSearchBefore() {
    open("/?index=cafe&q=espresso");
    waiting().until(d -> !shownIds().isEmpty() && shownIds().getFirst().equals("espresso"));
    WebElement q = driver.findElement(By.id("q"));
    q.clear();
    q.sendKeys("blue whale", Keys.ENTER);
    waiting().until(d -> !shownIds().isEmpty() && shownIds().getFirst().equals("whale"));
    assertTrue(driver.getCurrentUrl().contains("q=blue+whale"), driver.getCurrentUrl());
    driver.navigate().back();
    waiting().until(d -> !shownIds().isEmpty() && shownIds().getFirst().equals("espresso"));
    assertEquals("espresso", value("q"));
    assertTrue(driver.getCurrentUrl().contains("q=espresso&"), driver.getCurrentUrl());
    driver.navigate().forward();
    waiting().until(d -> !shownIds().isEmpty() && shownIds().getFirst().equals("whale"));
    assertEquals("blue whale", value("q"));
  }

  @Test
  void theMethodDefaultsToTheIndexsFastestNearExactMethod() throws Exception {
    open("/?index=cafe");
    String plain = ok(send("GET", "/v1/indexes/cafe", null), 200).get("default_method").asText();
    assertEquals("hybrid-rrf", plain, "no first stage");
    assertEquals(plain, value("method"));
    // With XTR trained, the page starts on xtr+maxsim, and a search runs it.
    open("/?index=cafe-xtr&q=" + param("espresso crema"));
    assertEquals("xtr+maxsim", value("method"));
    waiting().until(d -> d.findElement(By.id("status")).getText().contains("xtr+maxsim"));
    assertEquals("espresso", shownIds().getFirst());
    // Choosing another index in the picker takes that index's default.
    new Select(driver.findElement(By.id("index"))).selectByValue("cafe");
    assertEquals("hybrid-rrf", value("method"));
  }

  @Test
  void keyboardOnlySearchSnippetShowAllAndPaging() throws Exception {
    // maxsim-exact scores every document, so there are pages (BM25-based methods find one hit).
    open("/?index=cafe&k=4&method=maxsim-exact");
    // The query box has the focus: type and press Enter, no mouse.
    driver.switchTo().activeElement().sendKeys("obsidian volcanic glass", Keys.ENTER);
    waiting().until(d -> !shownIds().isEmpty() && shownIds().getFirst().equals("longread"));
    WebElement hit = driver.findElement(By.cssSelector(".hit[data-docid=longread]"));
    WebElement snippet = hit.findElement(By.cssSelector(".snippet"));
    assertTrue(snippet.isDisplayed());
    String shown = snippet.getText();
    assertTrue(shown.length() < LONG_TEXT.length() && shown.contains("…"), shown);
    assertTrue(
        snippet.findElements(By.tagName("mark")).stream()
            .anyMatch(
                m ->
                    m.getText().toLowerCase(Locale.ROOT).contains("obsidian")
                        || m.getText().toLowerCase(Locale.ROOT).contains("volcan")),
        "the snippet holds the best match: " + shown);
    screenshot("snippet.png");
    // Tab to "Show all" and press Enter: the whole text.
    tabTo(".hit[data-docid=longread] .show-all").sendKeys(Keys.ENTER);
    WebElement full = hit.findElement(By.cssSelector("p.text:not(.snippet)"));
    waiting().until(ExpectedConditions.visibilityOf(full));
    assertEquals(LONG_TEXT, full.getText());
    assertFalse(snippet.isDisplayed());
    // Tab to "Next": page 2 holds the API's hits 5-8, and the URL says so.
    List<String> second =
        apiIds(
            "cafe",
            "{\"query\": \"obsidian volcanic glass\", \"k\": 4, \"from\": 4, \"method\": \"maxsim-exact\"}");
    tabTo("#next").sendKeys(Keys.ENTER);
    waiting().until(d -> shownIds().equals(second));
    assertTrue(driver.getCurrentUrl().contains("page=2"), driver.getCurrentUrl());
    screenshot("page2.png");
  }

  /** Presses Tab until the element matching {@code css} has the focus (at most 60 times). */
  static WebElement tabTo(String css) {
    WebElement target = driver.findElement(By.cssSelector(css));
    StringBuilder path = new StringBuilder();
    for (int i = 0; i < 60; i++) {
      WebElement active = driver.switchTo().activeElement();
      if (active.equals(target)) return active;
      path.append(active.getTagName()).append('.').append(active.getAttribute("class")).append(' ');
      active.sendKeys(Keys.TAB);
    }
    throw new AssertionError("Tab never reached " + css + ": " + path);
  }

  static void screenshot(String name) throws Exception {
    Path dir = Path.of("target", "screenshots").toAbsolutePath();
    Files.createDirectories(dir);
    File shot = ((TakesScreenshot) driver).getScreenshotAs(OutputType.FILE);
    Files.copy(shot.toPath(), dir.resolve(name), StandardCopyOption.REPLACE_EXISTING);
  }
}
