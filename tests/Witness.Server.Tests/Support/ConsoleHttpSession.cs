using System.Net;
using System.Text.RegularExpressions;

namespace Witness.Server.Tests.Support;

/// <summary>
/// A console session over plain HTTP, without a browser: it fetches a form for its anti-forgery
/// token, posts the form, and keeps the cookies. Redirects are not followed, so a test sees each
/// Location the server sends.
/// </summary>
public sealed partial class ConsoleHttpSession : IDisposable
{
    private readonly HttpClientHandler _handler;

    public ConsoleHttpSession(Uri address)
    {
        _handler = new HttpClientHandler { AllowAutoRedirect = false, CookieContainer = Cookies, UseCookies = true };
        Client = new HttpClient(_handler) { BaseAddress = address, Timeout = TimeSpan.FromSeconds(60) };
    }

    public HttpClient Client { get; }

    public CookieContainer Cookies { get; } = new();

    /// <summary>An anonymous session that has loaded the sign-in form (so it holds an anti-forgery cookie).</summary>
    public static async Task<(ConsoleHttpSession Session, string Token)> OpenAsync(Uri address)
    {
        var session = new ConsoleHttpSession(address);
        return (session, await session.FormTokenAsync("/console/sign-in"));
    }

    /// <summary>Posts the sign-in form; the response is the server's answer (303 when signed in, 401 wrong, 429 throttled).</summary>
    public Task<HttpResponseMessage> PostSignInAsync(string token, string email, string password, string? returnUrl = null)
    {
        var fields = new Dictionary<string, string> { ["__RequestVerificationToken"] = token, ["email"] = email, ["password"] = password };
        if (returnUrl is not null)
        {
            fields["return"] = returnUrl;
        }

        return Client.PostAsync("/console/sign-in", new FormUrlEncodedContent(fields));
    }

    /// <summary>Loads the sign-in form for its token and posts it, as a browser would; the server's answer.</summary>
    public async Task<HttpResponseMessage> SignInAsync(string email, string password) =>
        await PostSignInAsync(await FormTokenAsync("/console/sign-in"), email, password);

    /// <summary>A session signed in as <paramref name="email"/>.</summary>
    public static async Task<ConsoleHttpSession> SignInAsync(Uri address, string email, string password)
    {
        var session = new ConsoleHttpSession(address);
        var response = await session.SignInAsync(email, password);
        if (response.StatusCode != HttpStatusCode.SeeOther)
        {
            session.Dispose();
            throw new InvalidOperationException($"sign-in as {email} answered {(int)response.StatusCode}");
        }

        return session;
    }

    /// <summary>Loads <paramref name="page"/> for its anti-forgery token, then posts <paramref name="fields"/> and that token to <paramref name="action"/>.</summary>
    public async Task<HttpResponseMessage> PostFormAsync(string page, string action, IReadOnlyDictionary<string, string>? fields = null)
    {
        var token = await FormTokenAsync(page);
        var values = new Dictionary<string, string>(fields ?? new Dictionary<string, string>()) { ["__RequestVerificationToken"] = token };
        return await Client.PostAsync(action, new FormUrlEncodedContent(values));
    }

    /// <summary>The session cookie's value, to replay it from another client.</summary>
    public string SessionCookie() =>
        Cookies.GetCookies(Client.BaseAddress!).Single(c => c.Name == "witness_console").Value;

    public void Dispose()
    {
        Client.Dispose();
        _handler.Dispose();
    }

    private async Task<string> FormTokenAsync(string page)
    {
        var html = await Client.GetStringAsync(page);
        return TokenPattern().Match(html) is { Success: true } match
            ? WebUtility.HtmlDecode(match.Groups[1].Value)
            : throw new InvalidOperationException($"{page} has no anti-forgery token");
    }

    [GeneratedRegex("name=\"__RequestVerificationToken\" value=\"([^\"]+)\"")]
    private static partial Regex TokenPattern();
}
