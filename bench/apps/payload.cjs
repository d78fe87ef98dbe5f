// The small JSON route's answer, the same for every framework in the adapters bench (~300 bytes).
module.exports = {
  users: [
    { id: 1, name: "Ada Lovelace", email: "ada@example.org", admin: true },
    { id: 2, name: "Grace Hopper", email: "grace@example.org", admin: false },
    { id: 3, name: "Katherine Johnson", email: "katherine@example.org", admin: false },
  ],
  page: 1,
  total: 3,
};
