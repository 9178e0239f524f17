// trustdesk: every UI string in English and Simplified Chinese, and a tiny
// translator. Elements carry data-i18n (text), data-i18n-placeholder,
// data-i18n-label (aria-label) or data-i18n-title; TD.i18n.apply() fills them.
'use strict';
(function () {
  const TD = (window.TD = window.TD || {});

  const en = {
    // widget
    'w.title': 'Customer support',
    'w.subtitle': 'Official support · replies in minutes',
    'w.welcome': 'Hi! How can we help you today?',
    'w.safety': 'Official support will never ask for your password, 2FA codes, seed phrase or private keys.',
    'w.placeholder': 'Type your message…',
    'w.message': 'Message',
    'w.send': 'Send',
    'w.human': 'Talk to a human',
    'w.human_msg': 'I would like to talk to a human agent, please.',
    'w.sending': 'Sending…',
    'w.sent': 'Sent',
    'w.failed': 'Not sent · Retry',
    'w.typing': '{name} is typing…',
    'w.support': 'Support',
    'w.assistant': 'Assistant',
    'w.helped': 'Yes, solved',
    'w.notHelped': 'No, still need help',
    'w.articleError': 'This article could not be loaded.',
    'w.you': 'You',
    'w.connecting': 'Connecting…',
    'w.offline': 'Connection lost. Reconnecting…',
    'w.unavailable': 'Support is unreachable right now. Retrying…',
    'w.resolved': 'This conversation was marked as resolved. Reply to reopen it.',
    'w.closed': 'This conversation is closed.',
    'w.reopened': 'Conversation reopened',
    'w.pending': 'We are waiting for your reply.',
    'w.new': 'Start a new conversation',
    'w.close': 'Close chat',
    'w.open': 'Chat with support',
    'w.verified': 'Verified account',
    'w.log': 'Conversation',
    // console
    'c.title': 'trustdesk console',
    'c.login': 'Agent sign-in',
    'c.email': 'Email',
    'c.password': 'Password',
    'c.signin': 'Sign in',
    'c.signing': 'Signing in…',
    'c.bad_login': 'Email or password is incorrect.',
    'c.login_error': 'Could not sign in. Please try again.',
    'c.logout': 'Log out',
    'c.lang': '中文',
    'c.lang_label': 'Switch language to Chinese',
    'c.inbox': 'Inbox',
    'c.f_mine': 'Mine',
    'c.f_unassigned': 'Unassigned',
    'c.f_open': 'All open',
    'c.f_resolved': 'Resolved',
    'c.filters': 'Inbox filters',
    'c.empty_inbox': 'Nothing here. New conversations appear live.',
    'c.no_subject': '(no subject)',
    'c.pick': 'Select a conversation from the inbox.',
    'c.customer': 'Customer',
    'c.anonymous': 'Anonymous visitor',
    'c.verified': 'verified',
    'c.unassigned': 'Unassigned',
    'c.assigned_to': 'Assigned to {name}',
    'c.assign_me': 'Assign to me',
    'c.resolve': 'Resolve',
    'c.pending': 'Pending',
    'c.reopen': 'Reopen',
    'c.close': 'Close',
    'c.status_actions': 'Conversation actions',
    'c.reply': 'Reply',
    'c.note': 'Internal note',
    'c.mode': 'Composer mode',
    'c.reply_ph': 'Reply to the customer… (Ctrl+Enter to send)',
    'c.note_ph': 'Internal note, only the team sees it… (Ctrl+Enter to save)',
    'c.send': 'Send',
    'c.add_note': 'Add note',
    'c.composer': 'Message',
    'c.note_label': 'Internal note · not visible to the customer',
    'c.typing_customer': 'Customer is typing…',
    'c.typing': '{name} is typing…',
    'c.sending': 'Sending…',
    'c.failed': 'Not sent · Retry',
    'c.connecting': 'Connecting…',
    'c.online': 'Live',
    'c.offline': 'Offline · reconnecting…',
    'c.shortcuts': 'Ctrl+Enter send · Alt+N note · Alt+R reply · Alt+J/K next/previous · Alt+S resolve',
    'c.ev_status': '{who} changed the status: {from} → {to}',
    'c.ev_assigned': '{who} assigned the conversation to {to}',
    'c.ev_unassigned': '{who} unassigned the conversation',
    'c.ev_took': '{who} took the conversation',
    'c.ev_triaged': 'Triage: {category} · {language} · {priority}{urgent}',
    'c.ev_bot': 'Answer bot suggested: {articles} ({confidence}% confident)',
    'c.urgent': 'urgent',
    'c.system': 'System',
    'c.bot': 'Bot',
    'c.someone': 'Someone',
    'c.error': 'Something went wrong: {code}',
    'c.session_ended': 'Your session has ended. Please sign in again.',
    'c.conversation': 'Conversation',
    'c.history': 'Conversation history',
    'c.channel': 'Channel',
    'c.language': 'Language',
    'c.priority': 'Priority',
    'c.category': 'Category',
    'c.status': 'Status',
    'c.id': 'ID',
    'st.open': 'open',
    'st.pending': 'pending',
    'st.snoozed': 'snoozed',
    'st.resolved': 'resolved',
    'st.closed': 'closed',
    'pr.low': 'low', 'pr.normal': 'normal', 'pr.high': 'high', 'pr.urgent': 'urgent',
    'cat.account': 'account', 'cat.trading': 'trading', 'cat.transfer': 'deposits & withdrawals',
    'cat.security': 'security', 'cat.storage': 'storage', 'cat.compliance': 'compliance',
    'lang.zh': 'Chinese', 'lang.en': 'English',
    'role.agent': 'agent', 'role.supervisor': 'supervisor', 'role.admin': 'admin',
    'ch.web': 'web chat', 'ch.email': 'email', 'ch.telegram': 'Telegram', 'ch.api': 'API',
    // demo and landing pages
    'd.title': 'trustdesk demo',
    'd.lead': 'trustdesk is open-source customer service for crypto exchanges. This page is an exchange\u2019s website: the chat button in the corner is the customer widget.',
    'd.step1': 'Open the chat (bottom right) and ask a question, as a customer would.',
    'd.step2': 'In another window, open the agent console and sign in as an agent:',
    'd.step3': 'Your conversation appears in the inbox live. Reply, add an internal note (the customer never sees it), resolve.',
    'd.console': 'Open the agent console',
    'd.login': 'Demo sign-in',
    'd.agents': 'Other demo agents: bob@demo.trustdesk, liming@demo.trustdesk (same password).',
    'd.embed': 'Put the widget on your own site',
    'd.embed_text': 'One script tag; the chat runs in an isolated frame served by trustdesk.',
    'd.lang': '中文',
    'd.lang_label': 'Switch language to Chinese',
    'd.links': 'More',
    'i.lead': 'Self-hosted, open-source customer service for crypto exchanges.',
    'i.demo': 'Try the demo',
    'i.console': 'Agent console',
    'i.api': 'API (OpenAPI)',
    'i.health': 'Health',
  };

  const zh = {
    'w.title': '在线客服',
    'w.subtitle': '官方客服 · 通常几分钟内回复',
    'w.welcome': '您好！请问有什么可以帮您？',
    'w.safety': '官方客服绝不会索要您的密码、谷歌验证码、助记词或私钥。',
    'w.placeholder': '请输入消息…',
    'w.message': '消息',
    'w.send': '发送',
    'w.human': '转人工客服',
    'w.human_msg': '您好，我想转人工客服。',
    'w.sending': '发送中…',
    'w.sent': '已发送',
    'w.failed': '发送失败 · 重试',
    'w.typing': '{name} 正在输入…',
    'w.support': '客服',
    'w.assistant': '智能助手',
    'w.helped': '解决了',
    'w.notHelped': '没有帮助',
    'w.articleError': '文章加载失败。',
    'w.you': '我',
    'w.connecting': '正在连接…',
    'w.offline': '连接已断开，正在重连…',
    'w.unavailable': '暂时无法连接客服，正在重试…',
    'w.resolved': '此会话已标记为已解决。如需继续，请直接回复。',
    'w.closed': '此会话已关闭。',
    'w.reopened': '会话已重新打开',
    'w.pending': '客服正在等待您的回复。',
    'w.new': '发起新会话',
    'w.close': '关闭聊天窗口',
    'w.open': '联系客服',
    'w.verified': '已验证账户',
    'w.log': '会话',
    'c.title': 'trustdesk 客服工作台',
    'c.login': '客服登录',
    'c.email': '邮箱',
    'c.password': '密码',
    'c.signin': '登录',
    'c.signing': '正在登录…',
    'c.bad_login': '邮箱或密码不正确。',
    'c.login_error': '登录失败，请重试。',
    'c.logout': '退出登录',
    'c.lang': 'English',
    'c.lang_label': '切换为英文',
    'c.inbox': '收件箱',
    'c.f_mine': '我的',
    'c.f_unassigned': '未分配',
    'c.f_open': '全部进行中',
    'c.f_resolved': '已解决',
    'c.filters': '收件箱筛选',
    'c.empty_inbox': '暂无会话。新会话会实时出现在这里。',
    'c.no_subject': '（无主题）',
    'c.pick': '请从收件箱中选择一个会话。',
    'c.customer': '客户',
    'c.anonymous': '匿名访客',
    'c.verified': '已验证',
    'c.unassigned': '未分配',
    'c.assigned_to': '负责人：{name}',
    'c.assign_me': '分配给我',
    'c.resolve': '标记已解决',
    'c.pending': '等待客户',
    'c.reopen': '重新打开',
    'c.close': '关闭会话',
    'c.status_actions': '会话操作',
    'c.reply': '回复',
    'c.note': '内部备注',
    'c.mode': '输入模式',
    'c.reply_ph': '回复客户…（Ctrl+Enter 发送）',
    'c.note_ph': '内部备注，仅团队可见…（Ctrl+Enter 保存）',
    'c.send': '发送',
    'c.add_note': '添加备注',
    'c.composer': '消息',
    'c.note_label': '内部备注 · 客户不可见',
    'c.typing_customer': '客户正在输入…',
    'c.typing': '{name} 正在输入…',
    'c.sending': '发送中…',
    'c.failed': '发送失败 · 重试',
    'c.connecting': '正在连接…',
    'c.online': '实时',
    'c.offline': '已断开 · 正在重连…',
    'c.shortcuts': 'Ctrl+Enter 发送 · Alt+N 备注 · Alt+R 回复 · Alt+J/K 下一个/上一个 · Alt+S 解决',
    'c.ev_status': '{who} 将状态从 {from} 改为 {to}',
    'c.ev_assigned': '{who} 将会话分配给 {to}',
    'c.ev_unassigned': '{who} 取消了会话分配',
    'c.ev_took': '{who} 接手了会话',
    'c.ev_triaged': '分诊：{category} · {language} · {priority}{urgent}',
    'c.ev_bot': '智能助手推荐了：{articles}（置信度 {confidence}%）',
    'c.urgent': '紧急',
    'c.system': '系统',
    'c.bot': '机器人',
    'c.someone': '某人',
    'c.error': '操作失败：{code}',
    'c.session_ended': '登录已失效，请重新登录。',
    'c.conversation': '会话',
    'c.history': '会话记录',
    'c.channel': '渠道',
    'c.language': '语言',
    'c.priority': '优先级',
    'c.category': '类别',
    'c.status': '状态',
    'c.id': '编号',
    'st.open': '进行中',
    'st.pending': '等待客户',
    'st.snoozed': '已暂停',
    'st.resolved': '已解决',
    'st.closed': '已关闭',
    'pr.low': '低', 'pr.normal': '普通', 'pr.high': '高', 'pr.urgent': '紧急',
    'cat.account': '账户', 'cat.trading': '交易', 'cat.transfer': '充提币',
    'cat.security': '安全', 'cat.storage': '钱包与存储', 'cat.compliance': '合规',
    'lang.zh': '中文', 'lang.en': '英文',
    'role.agent': '客服', 'role.supervisor': '主管', 'role.admin': '管理员',
    'ch.web': '网页聊天', 'ch.email': '邮件', 'ch.telegram': 'Telegram', 'ch.api': 'API',
    'd.title': 'trustdesk 演示',
    'd.lead': 'trustdesk 是面向加密货币交易所的开源客服系统。本页模拟交易所的网站：右下角的聊天按钮就是客户使用的客服挂件。',
    'd.step1': '点击右下角的聊天按钮，以客户身份提一个问题。',
    'd.step2': '在另一个窗口打开客服工作台，用演示客服账号登录：',
    'd.step3': '您的会话会实时出现在收件箱中。回复客户、添加内部备注（客户看不到）、标记已解决。',
    'd.console': '打开客服工作台',
    'd.login': '演示账号',
    'd.agents': '其他演示客服：bob@demo.trustdesk、liming@demo.trustdesk（密码相同）。',
    'd.embed': '在您的网站上嵌入挂件',
    'd.embed_text': '只需一个 script 标签；聊天窗口运行在 trustdesk 提供的隔离 iframe 中。',
    'd.lang': 'English',
    'd.lang_label': '切换为英文',
    'd.links': '更多',
    'i.lead': '面向加密货币交易所的自托管开源客服系统。',
    'i.demo': '体验演示',
    'i.console': '客服工作台',
    'i.api': 'API（OpenAPI）',
    'i.health': '健康检查',
  };

  const dicts = { en: en, zh: zh };

  // zh for any Chinese tag (zh, zh-CN, zh-Hans, zh-TW…), else en.
  function normalize(tag) {
    return typeof tag === 'string' && tag.toLowerCase().indexOf('zh') === 0 ? 'zh' : 'en';
  }

  const i18n = {
    lang: 'en',
    normalize: normalize,
    // The first tag given that names a language, else the browser's.
    detect: function () {
      for (let i = 0; i < arguments.length; i++) {
        const tag = arguments[i];
        if (tag) return normalize(tag);
      }
      return normalize(navigator.language || (navigator.languages || [])[0] || 'en');
    },
    set: function (lang) {
      this.lang = lang === 'zh' ? 'zh' : 'en';
      document.documentElement.lang = this.lang === 'zh' ? 'zh-CN' : 'en';
    },
    // A translated enum value (e.g. 'pr', 'normal'), or the value itself.
    v: function (prefix, value) {
      if (value == null || value === '') return value;
      const key = prefix + '.' + value;
      return dicts[this.lang][key] || en[key] || String(value);
    },
    t: function (key, vars) {
      let s = dicts[this.lang][key];
      if (s == null) s = en[key];
      if (s == null) s = key;
      if (vars) {
        s = s.replace(/\{(\w+)\}/g, function (m, k) {
          return vars[k] == null ? m : String(vars[k]);
        });
      }
      return s;
    },
    apply: function (root) {
      const r = root || document;
      r.querySelectorAll('[data-i18n]').forEach((el) => {
        el.textContent = this.t(el.getAttribute('data-i18n'));
      });
      r.querySelectorAll('[data-i18n-placeholder]').forEach((el) => {
        el.setAttribute('placeholder', this.t(el.getAttribute('data-i18n-placeholder')));
      });
      r.querySelectorAll('[data-i18n-label]').forEach((el) => {
        el.setAttribute('aria-label', this.t(el.getAttribute('data-i18n-label')));
      });
      r.querySelectorAll('[data-i18n-title]').forEach((el) => {
        el.setAttribute('title', this.t(el.getAttribute('data-i18n-title')));
      });
    },
  };
  TD.i18n = i18n;
})();
