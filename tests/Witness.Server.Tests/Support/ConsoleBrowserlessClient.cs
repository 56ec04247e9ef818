using System.Net;
using System.Text.RegularExpressions;

namespace Witness.Server.Tests.Support;

/// <summary>
/// A browser-less console client over loopback: its own cookie jar, the sign-in form posted with its
/// anti-forgery token, and redirects left for the test to see.
/// </summary>
public sealed partial class ConsoleBrowserlessClient : IDisposable
{
    private readonly HttpClient _client;

    public ConsoleBrowserlessClient(Uri address)
    {
        Cookies = new CookieContainer();
        _client = new HttpClient(new HttpClientHandler { CookieContainer = Cookies, AllowAutoRedirect = false }) { BaseAddress = address, Timeout = TimeSpan.FromSeconds(60) };
    }

    public CookieContainer Cookies { get; }

    public HttpClient Http => _client;

    /// <summary>Posts the sign-in form as a browser would; the answer (303 when signed in, 401 wrong, 429 throttled).</summary>
    public async Task<HttpResponseMessage> SignInAsync(string email, string password)
    {
        var form = await FormTokenAsync("/console/sign-in");
        return await _client.PostAsync("/console/sign-in", new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["__RequestVerificationToken"] = form,
            ["email"] = email,
            ["password"] = password,
        }));
    }

    /// <summary>Posts a form of a console page with the anti-forgery token read from <paramref name="page"/>.</summary>
    public async Task<HttpResponseMessage> PostFormAsync(string page, string action, IReadOnlyDictionary<string, string>? fields = null)
    {
        var token = await FormTokenAsync(page);
        var values = new Dictionary<string, string>(fields ?? new Dictionary<string, string>()) { ["__RequestVerificationToken"] = token };
        return await _client.PostAsync(action, new FormUrlEncodedContent(values));
    }

    /// <summary>The session cookie's value, to replay it from another client.</summary>
    public string SessionCookie() =>
        Cookies.GetCookies(_client.BaseAddress!).Single(c => c.Name == "witness_console").Value;

    private async Task<string> FormTokenAsync(string page)
    {
        var html = await _client.GetStringAsync(page);
        return TokenPattern().Match(html) is { Success: true } match
            ? WebUtility.HtmlDecode(match.Groups[1].Value)
            : throw new InvalidOperationException($"{page} has no anti-forgery token");
    }

    [GeneratedRegex("name=\"__RequestVerificationToken\" value=\"([^\"]+)\"")]
    private static partial Regex TokenPattern();

    public void Dispose() => _client.Dispose();
}
