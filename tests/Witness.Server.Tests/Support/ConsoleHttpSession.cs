using System.Net;
using System.Text.RegularExpressions;

namespace Witness.Server.Tests.Support;

/// <summary>
/// A console session over plain HTTP, without a browser: it fetches the sign-in form for its
/// anti-forgery token, posts the form, and keeps the cookies. Redirects are not followed, so a test
/// sees each Location the server sends.
/// </summary>
public sealed partial class ConsoleHttpSession : IDisposable
{
    private readonly HttpClientHandler _handler;

    private ConsoleHttpSession(Uri address)
    {
        _handler = new HttpClientHandler { AllowAutoRedirect = false, CookieContainer = new CookieContainer(), UseCookies = true };
        Client = new HttpClient(_handler) { BaseAddress = address, Timeout = TimeSpan.FromSeconds(60) };
    }

    public HttpClient Client { get; }

    /// <summary>An anonymous session that has loaded the sign-in form (so it holds an anti-forgery cookie).</summary>
    public static async Task<(ConsoleHttpSession Session, string Token)> OpenAsync(Uri address)
    {
        var session = new ConsoleHttpSession(address);
        var form = await session.Client.GetStringAsync("/console/sign-in");
        return (session, TokenPattern().Match(form) is { Success: true } m ? WebUtility.HtmlDecode(m.Groups[1].Value) : throw new InvalidOperationException("no anti-forgery token in the sign-in form"));
    }

    /// <summary>Posts the sign-in form; the response is the server's answer (303 on success).</summary>
    public Task<HttpResponseMessage> PostSignInAsync(string token, string email, string password, string? returnUrl = null)
    {
        var fields = new Dictionary<string, string> { ["__RequestVerificationToken"] = token, ["email"] = email, ["password"] = password };
        if (returnUrl is not null)
        {
            fields["return"] = returnUrl;
        }

        return Client.PostAsync("/console/sign-in", new FormUrlEncodedContent(fields));
    }

    /// <summary>A session signed in as <paramref name="email"/>.</summary>
    public static async Task<ConsoleHttpSession> SignInAsync(Uri address, string email, string password)
    {
        var (session, token) = await OpenAsync(address);
        var response = await session.PostSignInAsync(token, email, password);
        if (response.StatusCode != HttpStatusCode.SeeOther)
        {
            session.Dispose();
            throw new InvalidOperationException($"sign-in as {email} answered {(int)response.StatusCode}");
        }

        return session;
    }

    /// <summary>Loads <paramref name="page"/> for its anti-forgery token, then posts <paramref name="fields"/> and that token to <paramref name="action"/>.</summary>
    public async Task<HttpResponseMessage> PostFormAsync(string page, string action, IDictionary<string, string> fields)
    {
        var html = await Client.GetStringAsync(page);
        var token = TokenPattern().Match(html) is { Success: true } m ? WebUtility.HtmlDecode(m.Groups[1].Value) : throw new InvalidOperationException($"no anti-forgery token in {page}");
        return await Client.PostAsync(action, new FormUrlEncodedContent(new Dictionary<string, string>(fields) { ["__RequestVerificationToken"] = token }));
    }

    public void Dispose()
    {
        Client.Dispose();
        _handler.Dispose();
    }

    [GeneratedRegex("name=\"__RequestVerificationToken\" value=\"([^\"]+)\"")]
    private static partial Regex TokenPattern();
}
