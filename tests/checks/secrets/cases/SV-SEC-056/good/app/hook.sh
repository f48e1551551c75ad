curl https://discord.com/api/webhooks/
