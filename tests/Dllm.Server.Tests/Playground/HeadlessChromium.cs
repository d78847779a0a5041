using System.Diagnostics;
using System.Net.WebSockets;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;

namespace Dllm.Server.Tests.Playground;

/// <summary>
/// Debian's headless Chromium driven over the DevTools protocol (one WebSocket, flat sessions): opens a page, waits in
/// real time until a script says it is done, reads the DOM and takes a screenshot. <c>--dump-dom</c> cannot do this:
/// neither <c>--virtual-time-budget</c> nor <c>--timeout</c> waits for a streamed <c>fetch</c> body to end.
/// </summary>
internal sealed partial class HeadlessChromium : IAsyncDisposable
{
    private readonly Process _process;
    private readonly string _profile;
    private readonly ClientWebSocket _socket = new();
    private int _nextId;

    private HeadlessChromium(Process process, string profile)
    {
        _process = process;
        _profile = profile;
    }

    /// <summary>The browser: <c>/usr/bin/chromium</c>, else <c>chromium</c> on PATH; null when neither is installed.</summary>
    public static string? Find() =>
        File.Exists("/usr/bin/chromium") ? "/usr/bin/chromium" : Infrastructure.ExternalProcess.Find("chromium");

    /// <summary>Starts <paramref name="chromium"/> headless and connects to its DevTools endpoint.</summary>
    public static async Task<HeadlessChromium> StartAsync(string chromium, CancellationToken cancellationToken)
    {
        string profile = Directory.CreateTempSubdirectory("dllm-chromium-").FullName;
        var start = new ProcessStartInfo(chromium) { RedirectStandardError = true, RedirectStandardOutput = true, UseShellExecute = false };
        foreach (string argument in (string[])["--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--no-first-run",
                     "--remote-debugging-port=0", $"--user-data-dir={profile}", "about:blank"])
            start.ArgumentList.Add(argument);
        var browser = new HeadlessChromium(Process.Start(start)!, profile);
        browser._process.OutputDataReceived += (_, _) => { };
        browser._process.BeginOutputReadLine();
        string? line;
        var seen = new StringBuilder();
        while ((line = await browser._process.StandardError.ReadLineAsync(cancellationToken)) is not null)
        {
            seen.AppendLine(line);
            if (DevToolsUrl().Match(line) is { Success: true } match)
            {
                _ = browser._process.StandardError.ReadToEndAsync(CancellationToken.None);
                await browser._socket.ConnectAsync(new Uri(match.Groups[1].Value), cancellationToken);
                return browser;
            }
        }
        await browser.DisposeAsync();
        throw new InvalidOperationException($"chromium ended without a DevTools endpoint: {seen}");
    }

    /// <summary>Opens <paramref name="url"/> in a new <paramref name="width"/> x <paramref name="height"/> page; returns its session.</summary>
    public async Task<string> OpenAsync(string url, int width, int height, CancellationToken cancellationToken)
    {
        var target = await SendAsync("Target.createTarget", new JsonObject { ["url"] = "about:blank" }, null, cancellationToken);
        var attached = await SendAsync("Target.attachToTarget", new JsonObject { ["targetId"] = target["targetId"]!.GetValue<string>(), ["flatten"] = true }, null, cancellationToken);
        string session = attached["sessionId"]!.GetValue<string>();
        await SendAsync("Emulation.setDeviceMetricsOverride",
            new JsonObject { ["width"] = width, ["height"] = height, ["deviceScaleFactor"] = 1, ["mobile"] = false }, session, cancellationToken);
        await SendAsync("Page.navigate", new JsonObject { ["url"] = url }, session, cancellationToken);
        return session;
    }

    /// <summary>The value of <paramref name="expression"/> in the page (JSON, by value).</summary>
    public async Task<JsonNode?> EvaluateAsync(string session, string expression, CancellationToken cancellationToken)
    {
        var result = await SendAsync("Runtime.evaluate", new JsonObject { ["expression"] = expression, ["returnByValue"] = true }, session, cancellationToken);
        return result["exceptionDetails"] is { } error
            ? throw new InvalidOperationException($"'{expression}' threw: {error.ToJsonString()}")
            : result["result"]?["value"];
    }

    /// <summary>A PNG of the page's viewport.</summary>
    public async Task<byte[]> ScreenshotAsync(string session, CancellationToken cancellationToken)
    {
        var result = await SendAsync("Page.captureScreenshot", new JsonObject { ["format"] = "png" }, session, cancellationToken);
        return Convert.FromBase64String(result["data"]!.GetValue<string>());
    }

    private async Task<JsonNode> SendAsync(string method, JsonObject parameters, string? session, CancellationToken cancellationToken)
    {
        int id = ++_nextId;
        var message = new JsonObject { ["id"] = id, ["method"] = method, ["params"] = parameters };
        if (session is not null)
            message["sessionId"] = session;
        await _socket.SendAsync(Encoding.UTF8.GetBytes(message.ToJsonString()), WebSocketMessageType.Text, true, cancellationToken);
        var buffer = new byte[1 << 16];
        while (true)
        {
            using var received = new MemoryStream();
            WebSocketReceiveResult part;
            do
            {
                part = await _socket.ReceiveAsync(buffer, cancellationToken);
                received.Write(buffer, 0, part.Count);
            }
            while (!part.EndOfMessage);
            var reply = JsonNode.Parse(received.ToArray())!;
            if (reply["id"]?.GetValue<int>() != id)
                continue; // an event, or nothing of ours
            return reply["error"] is { } error
                ? throw new InvalidOperationException($"{method} failed: {error.ToJsonString()}")
                : reply["result"] ?? new JsonObject();
        }
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        _socket.Dispose();
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync();
        }
        _process.Dispose();
        try
        {
            Directory.Delete(_profile, recursive: true);
        }
        catch (IOException)
        {
            // a child may still hold a file; the temp folder is cleaned by the system
        }
    }

    [GeneratedRegex(@"DevTools listening on (ws://\S+)")]
    private static partial Regex DevToolsUrl();
}
