using System.Net;
using System.Text.Json;
using Witness.Server.Tests.Support;

namespace Witness.Server.Tests.Deploy;

/// <summary>
/// Issue 21 item 6: <c>serve --log-format text|json</c>, and in either format text a user sent (here an
/// email typed at sign-in, which the server logs) cannot end a log line and start one that looks like
/// Witness wrote it. The lines are read from a real <c>witness serve</c> process, split at CR and LF.
/// </summary>
public sealed class LogFormatTests
{
    private const string ForgedText = "info: Witness.Server.Console.ConsoleAccessLog[0] Console console.sign_in by platform administrator root@example.com";
    private const string ForgedJson = "{\"EventId\":0,\"LogLevel\":\"Information\",\"Category\":\"forged\",\"Message\":\"forged\"}";
    private const string Email = "mallory@example.com\r\n" + ForgedText + "\n" + ForgedJson + "\rwarn: forged\u2028crit: forged";

    [Theory]
    [InlineData("text")]
    [InlineData("json")]
    public async Task A_sign_in_email_with_cr_and_lf_is_logged_on_one_line_and_forges_none(string format)
    {
        var data = TempFolder.Create("witness-logs");
        try
        {
            using var serve = await WitnessProcess.ServeAsync(data, "--log-format", format);
            using var browser = new ConsoleHttpSession(serve.Address);
            Assert.Equal(HttpStatusCode.Unauthorized, (await browser.SignInAsync(Email, "not the password")).StatusCode);

            var lines = await Eventually.GetAsync(
                () => Task.FromResult(serve.Lines.Any(l => l.Contains("mallory@example.com", StringComparison.Ordinal)) ? serve.Lines : null), "the failed sign-in in the log");
            var logged = Assert.Single(lines, l => l.Contains("mallory@example.com", StringComparison.Ordinal));
            Assert.DoesNotContain(lines, l => l.StartsWith("info: Witness.Server.Console.ConsoleAccessLog[0] Console console.sign_in", StringComparison.Ordinal));
            Assert.DoesNotContain(lines, l => l.StartsWith("warn: forged", StringComparison.Ordinal) || l.StartsWith("crit: forged", StringComparison.Ordinal));
            Assert.DoesNotContain(lines, l => l.StartsWith(ForgedJson, StringComparison.Ordinal));

            if (format == "json")
            {
                // Every log line is one JSON object; the email comes back whole from the one that holds it.
                Assert.All(lines.Where(l => l.StartsWith('{')), l => JsonDocument.Parse(l).Dispose());
                using var entry = JsonDocument.Parse(logged);
                Assert.Equal("Information", entry.RootElement.GetProperty("LogLevel").GetString());
                Assert.Equal(Email, entry.RootElement.GetProperty("State").GetProperty("Email").GetString());
                Assert.EndsWith("Z", entry.RootElement.GetProperty("Timestamp").GetString());
            }
            else
            {
                Assert.StartsWith("info: Witness.Server.Console.ConsoleAccessLog[0] Console sign-in failed for unknown email mallory@example.com\\r\\ninfo: ", logged);
                Assert.Contains("\\rwarn: forged\\u2028crit: forged from 127.0.0.1", logged);
            }
        }
        finally
        {
            TempFolder.Delete(data);
        }
    }

    [Fact]
    public async Task An_unknown_log_format_is_a_usage_error_naming_the_option()
    {
        var run = await WitnessProcess.RunAsync("serve", "--log-format", "xml", "--data", "/nonexistent-witness-folder");
        Assert.Equal(2, run.ExitCode);
        Assert.Contains("xml", run.Error);
    }
}
