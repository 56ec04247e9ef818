using System.Globalization;
using System.Net;
using Witness.Server.Tests.Support;
using Witness.Server.Webhooks;

namespace Witness.Server.Tests.Webhooks;

public sealed class SsrfGuardTests : IAsyncLifetime
{
    private WebhookReceiver _receiver = null!;

    public async Task InitializeAsync() => _receiver = await WebhookReceiver.StartAsync();

    public async Task DisposeAsync() => await _receiver.DisposeAsync();

    [Theory]
    [InlineData("http://127.0.0.1:{port}/")]
    [InlineData("http://localhost:{port}/")]
    [InlineData("http://[::1]:{port}/")]
    [InlineData("http://[::ffff:127.0.0.1]:{port}/")]
    [InlineData("http://10.1.2.3/")]
    [InlineData("http://172.16.0.1/")]
    [InlineData("http://172.31.255.254/")]
    [InlineData("http://192.168.1.1/")]
    [InlineData("http://169.254.169.254/latest/meta-data/")]
    [InlineData("http://100.64.0.1/")]
    [InlineData("http://0.0.0.0:{port}/")]
    [InlineData("http://[fd00::1]/")]
    [InlineData("http://[fe80::1]/")]
    [InlineData("http://[::ffff:169.254.169.254]/")]
    public async Task Non_public_addresses_are_refused_before_connecting(string url)
    {
        using var client = WebhookHttpClient.Create([], TimeSpan.FromSeconds(5));
        var ex = await Assert.ThrowsAsync<HttpRequestException>(() => client.GetAsync(url.Replace("{port}", _receiver.Address.Port.ToString(CultureInfo.InvariantCulture))));
        Assert.IsType<WebhookAddressRefusedException>(ex.InnerException);
        Assert.Empty(_receiver.Requests);
    }

    [Fact]
    public async Task A_host_on_the_allow_list_is_reached()
    {
        using var client = WebhookHttpClient.Create(["127.0.0.1"], TimeSpan.FromSeconds(5));
        var response = await client.GetAsync(_receiver.Address);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Single(_receiver.Requests);
    }

    [Fact]
    public async Task Redirects_are_not_followed()
    {
        await using var redirector = await RedirectingServer.StartAsync("http://169.254.169.254/latest/meta-data/");
        using var client = WebhookHttpClient.Create(["127.0.0.1"], TimeSpan.FromSeconds(5));
        var response = await client.GetAsync(redirector.Address);
        Assert.Equal(HttpStatusCode.Redirect, response.StatusCode);
    }

    [Theory]
    [InlineData("8.8.8.8", true)]
    [InlineData("203.0.114.1", true)]
    [InlineData("2606:4700:4700::1111", true)]
    [InlineData("127.0.0.1", false)]
    [InlineData("10.0.0.1", false)]
    [InlineData("172.16.5.4", false)]
    [InlineData("172.32.0.1", true)]
    [InlineData("192.168.0.1", false)]
    [InlineData("169.254.169.254", false)]
    [InlineData("224.0.0.1", false)]
    [InlineData("255.255.255.255", false)]
    [InlineData("::", false)]
    [InlineData("::1", false)]
    [InlineData("::ffff:10.0.0.1", false)]
    [InlineData("::ffff:8.8.8.8", true)]
    [InlineData("::127.0.0.1", false)]
    [InlineData("64:ff9b::a00:1", false)]
    [InlineData("2002:a00:1::", false)]
    [InlineData("fc00::1", false)]
    [InlineData("ff02::1", false)]
    public void Address_policy_allows_public_unicast_only(string address, bool isPublic) =>
        Assert.Equal(isPublic, WebhookAddressPolicy.IsPublic(IPAddress.Parse(address)));
}
