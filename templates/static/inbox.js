// The staff inbox's live behaviour (Close Service). Pages that show the
// inbox carry <div id="inbox-live" data-events=…>: they follow the
// server-sent event stream. Every other page only refreshes the badge in the
// navigation now and then. No inline scripts (the CSP forbids them).
(function () {
  'use strict';

  var title = document.title;
  var lastVersion = null;

  function csrf() {
    try {
      return JSON.parse(document.body.getAttribute('hx-headers') || '{}')['X-CSRF-Token'] || '';
    } catch (e) {
      return '';
    }
  }

  // counts shows the waiting/mine numbers wherever the page has them: the
  // navigation's badge counts the chats that need this agent (queued for
  // anyone, or assigned to them). It chimes when more chats wait, or when
  // one was assigned to this agent (automatic assignment queues nothing),
  // than this tab last knew of; a new chat of their own also marks the 我的
  // tab and, from the 排队中 tab, switches to it.
  function counts(d, sound) {
    var total = (d.waiting || 0) + (d.mine || 0);
    var badge = document.getElementById('inbox-badge');
    if (badge) {
      badge.textContent = total;
      badge.hidden = !total;
      badge.setAttribute('data-waiting', d.waiting || 0);
      badge.setAttribute('data-mine', d.mine || 0);
    }
    document.querySelectorAll('[data-count]').forEach(function (el) {
      var n = d[el.getAttribute('data-count')] || 0;
      el.textContent = n;
      el.classList.toggle('hot', n > 0);
    });
    document.title = (total ? '(' + total + ') ' : '') + title;
    var seen = function (key, n) {
      var before = parseInt(sessionStorage.getItem(key) || '0', 10);
      sessionStorage.setItem(key, String(n));
      return n > before;
    };
    var moreWaiting = seen('fivec.waiting', d.waiting || 0);
    var moreMine = seen('fivec.mine', d.mine || 0);
    if (moreWaiting || moreMine) {
      chime(sound);
    }
    if (moreMine) {
      var tab = document.getElementById('tab-mine');
      if (tab) {
        tab.classList.add('new');
        // From the queue, where the chat will never show, go to it; on the
        // other tabs the mark is enough.
        var waitingTab = document.getElementById('tab-waiting');
        if (waitingTab && waitingTab.classList.contains('active')) {
          location.assign(tab.getAttribute('href'));
        }
      }
    }
  }

  // chime plays the alert. Browsers refuse sound until the person has
  // clicked or typed on the page; the inbox says so (#sound-hint) until then.
  function chime(url) {
    // Counted for the browser tests (and anyone curious): chimes this tab rang.
    sessionStorage.setItem('fivec.chimes', String(parseInt(sessionStorage.getItem('fivec.chimes') || '0', 10) + 1));
    try {
      var a = new Audio(url || '/console/inbox/alert.wav');
      var p = a.play();
      if (p && p.then) {
        p.then(function () { soundOn(true); }, function () { soundOn(false); });
      }
    } catch (e) { /* no audio support */ }
  }

  // soundOn shows or hides the hint that sound needs a first click.
  function soundOn(on) {
    var hint = document.getElementById('sound-hint');
    if (hint) hint.hidden = on;
  }

  function unlockSound() {
    var done = function () {
      soundOn(true);
      document.removeEventListener('pointerdown', done, true);
      document.removeEventListener('keydown', done, true);
    };
    var active = navigator.userActivation && navigator.userActivation.hasBeenActive;
    soundOn(!!active);
    if (!active) {
      document.addEventListener('pointerdown', done, true);
      document.addEventListener('keydown', done, true);
    }
  }

  function follow(live) {
    var es = new EventSource(live.getAttribute('data-events'));
    es.addEventListener('inbox', function (e) {
      var d = JSON.parse(e.data);
      counts(d, live.getAttribute('data-sound'));
      if (lastVersion !== null && d.version !== lastVersion && window.htmx) {
        htmx.trigger(document.body, 'inbox-changed');
      }
      lastVersion = d.version;
    });
  }

  function poll() {
    var get = function () {
      fetch('/console/inbox/count', { credentials: 'same-origin', headers: { Accept: 'application/json' } })
        .then(function (r) { return r.ok ? r.json() : null; })
        .then(function (d) { if (d) counts(d); })
        .catch(function () {});
    };
    get();
    setInterval(get, 20000);
  }

  // The conversation page: keep the newest message in view, reload when
  // someone else changes who holds the chat, and drive the reply box.
  function conversationPage() {
    var page = document.getElementById('conv-page');
    if (!page) return;
    var initialKey = (document.getElementById('conv-key') || {}).dataset.key;
    var hist = function () { return document.getElementById('conversation'); };
    var bottom = function () { var h = hist(); if (h) h.scrollTop = h.scrollHeight; };
    bottom();
    var stick = true;
    document.body.addEventListener('htmx:beforeSwap', function (e) {
      var h = hist();
      if (e.detail.target && e.detail.target.id === 'conv-live' && h) {
        stick = h.scrollHeight - h.scrollTop - h.clientHeight < 60;
      }
    });
    document.body.addEventListener('htmx:afterSettle', function (e) {
      if (!e.detail.target || e.detail.target.id !== 'conv-live') return;
      windowState();
      if (stick) bottom();
      var key = (document.getElementById('conv-key') || {}).dataset.key;
      var text = document.getElementById('reply-text');
      if (key && initialKey && key !== initialKey && (!text || !text.value)) {
        location.reload();
      }
    });
    replyBox();
    windowState();
    // The card is swapped out of band with the history: follow it as soon
    // as it is in (its attributes settle a moment later, so again then).
    document.body.addEventListener('htmx:oobAfterSwap', windowState);
  }

  // windowState makes the reply box follow the window card: the live update
  // swaps the card (and the reason under the box); here the box, the send
  // button and the ways out of a closed window (the template message) follow
  // it at the same moment, both ways. While the window is open a timer asks
  // for a live update the moment it closes, so nobody types into a box that
  // WeChat no longer delivers.
  var closeTimer = null;
  function windowState() {
    var card = document.getElementById('conv-window');
    if (!card) return;
    var open = card.getAttribute('data-open') === 'true';
    var text = document.getElementById('reply-text');
    var send = document.getElementById('send');
    var ways = document.getElementById('closed-ways');
    if (text) {
      text.disabled = !open;
      if (open) text.removeAttribute('aria-describedby');
      else text.setAttribute('aria-describedby', 'reply-closed');
    }
    if (send) send.disabled = !open;
    if (ways) ways.hidden = open;
    if (closeTimer) clearTimeout(closeTimer);
    closeTimer = null;
    var ms = parseInt(card.getAttribute('data-closes-in') || '', 10);
    if (open && ms >= 0 && ms < 2147483647 && window.htmx) {
      closeTimer = setTimeout(function () { htmx.trigger(document.body, 'inbox-changed'); }, ms + 300);
    }
  }

  function replyBox() {
    var text = document.getElementById('reply-text');
    var pop = document.getElementById('canned-pop');
    if (!text || !pop) return;
    var lastTyping = 0, seq = 0, active = -1;

    var items = function () { return pop.querySelectorAll('.canned-item'); };
    var close = function () { pop.hidden = true; pop.innerHTML = ''; active = -1; };
    var mark = function (i) {
      var list = items();
      if (!list.length) return;
      active = (i + list.length) % list.length;
      list.forEach(function (el, j) { el.classList.toggle('active', j === active); });
      list[active].scrollIntoView({ block: 'nearest' });
    };
    var pick = function (el) {
      text.value = el.getAttribute('data-text');
      close();
      text.focus();
    };

    text.addEventListener('input', function () {
      var m = /^\/(\S*)$/.exec(text.value);
      if (m) {
        var mine = ++seq;
        fetch(text.getAttribute('data-canned') + '?q=' + encodeURIComponent(m[1]), { credentials: 'same-origin' })
          .then(function (r) { return r.ok ? r.text() : ''; })
          .then(function (html) {
            if (mine !== seq) return; // a newer keystroke asked again
            pop.innerHTML = html; // rendered and escaped by the server's html/template
            pop.hidden = false;
            mark(0);
          });
        return;
      }
      close();
      var now = Date.now();
      if (text.value && now - lastTyping > 10000) {
        lastTyping = now;
        fetch(text.getAttribute('data-typing'), { method: 'POST', credentials: 'same-origin', headers: { 'X-CSRF-Token': csrf() } })
          .catch(function () {});
      }
    });
    text.addEventListener('keydown', function (e) {
      if (pop.hidden) return;
      if (e.key === 'ArrowDown') { mark(active + 1); e.preventDefault(); }
      else if (e.key === 'ArrowUp') { mark(active - 1); e.preventDefault(); }
      else if (e.key === 'Escape') { close(); e.preventDefault(); }
      else if (e.key === 'Enter' && active >= 0 && items()[active]) { pick(items()[active]); e.preventDefault(); }
    });
    pop.addEventListener('click', function (e) {
      var el = e.target.closest('.canned-item');
      if (el) pick(el);
    });
  }

  // Forms marked data-inline-errors show a refusal (a closed window, a
  // claim someone else won) in place instead of dropping it, and forms
  // marked data-reset are cleared after success.
  document.addEventListener('htmx:beforeSwap', function (e) {
    var form = e.detail.elt && e.detail.elt.closest && e.detail.elt.closest('form[data-inline-errors]');
    if (form && e.detail.xhr.status >= 400 && e.detail.xhr.status < 500) {
      e.detail.shouldSwap = true;
      e.detail.isError = false;
    }
  });
  document.addEventListener('htmx:afterRequest', function (e) {
    var f = e.detail.elt;
    if (f && f.matches && f.matches('#conv-page form[data-reset]') && e.detail.successful) {
      f.querySelectorAll('textarea, input[name=media_id], input[name=text]').forEach(function (el) { el.value = ''; });
    }
  });

  document.addEventListener('DOMContentLoaded', function () {
    var live = document.getElementById('inbox-live');
    if (live && window.EventSource) {
      follow(live);
    } else if (document.getElementById('inbox-badge')) {
      poll();
    }
    conversationPage();
    unlockSound();
  });
})();
